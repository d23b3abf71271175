// 参加考试: the device check and camera of 人脸验证, and on the paper page the autosave of every
// answer and the timer. The server keeps the deadline; this timer only shows it, and sends the
// physician to the score when it runs out (the server submits the paper then).
(function () {
  const faceForm = document.getElementById("face-form");
  if (faceForm) faceCheck(faceForm);
  const answerForm = document.getElementById("answer-form");
  if (answerForm) paper(answerForm);
  const watch = document.getElementById("invigilation");
  if (watch && answerForm) invigilation(watch, answerForm);

  function show(id, text) {
    const el = document.getElementById(id);
    if (el) { el.textContent = text; el.hidden = !text; }
  }

  function faceCheck(form) {
    const button = document.getElementById("capture");
    show("network-state", navigator.onLine ? "正常" : "未连接，请检查网络");
    if (form.dataset.photos) { photoCheck(form, button); return; }
    const video = document.getElementById("camera");
    const canvas = document.getElementById("frame");
    const photoLink = document.getElementById("photo-link");
    // Older iOS WeChat has no getUserMedia, or plays the camera black: the check is then made on
    // photos the camera app takes (the same movement, two ends of it; the server judges them alike).
    const toPhotos = (why) => { show("camera-state", why); window.location.replace(photoLink.href); };
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      toPhotos("当前微信无法直接开启摄像头，请改用拍照验证");
      return;
    }
    const silent = setTimeout(() => { document.getElementById("photo-way").hidden = false; }, 8000);
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "user", width: { ideal: 640 } }, audio: false })
      .then((stream) => {
        video.srcObject = stream;
        // Only a playing video has a picture to capture: before that the canvas would be black.
        video.addEventListener("playing", () => {
          clearTimeout(silent);
          seesSomething(video).then((ok) => {
            if (!ok) { toPhotos("摄像头画面为黑屏，请改用拍照验证"); return; }
            show("camera-state", "已开启");
            button.disabled = false;
          });
        }, { once: true });
        video.play().catch(() => show("camera-state", "请点击画面开启摄像头"));
      })
      .catch(() => {
        show("camera-state", "无法开启摄像头，请允许使用摄像头后刷新页面");
        document.getElementById("photo-way").hidden = false;
      });
    // The server asked for a movement (转头/张嘴/眨眼, shown on the page): a few frames are taken
    // while the physician does it, and the server judges them all. Each check has its own
    // challenge, so after an answer the page is loaded again for the next one.
    const FRAMES = 6, EVERY_MS = 400;
    const grab = () => new Promise((resolve) => {
      const width = Math.min(video.videoWidth || 640, 640);
      const height = Math.round(width * (video.videoHeight || 480) / (video.videoWidth || 640));
      canvas.width = width; canvas.height = height;
      canvas.getContext("2d").drawImage(video, 0, 0, width, height);
      canvas.toBlob(resolve, "image/jpeg", 0.85);
    });
    button.addEventListener("click", async () => {
      button.disabled = true;
      button.textContent = "请按提示完成动作…";
      const frames = [];
      for (let i = 0; i < FRAMES; i += 1) {
        frames.push(await grab());
        if (i < FRAMES - 1) await wait(EVERY_MS);
      }
      sendFrames(form, frames, button);
    }, { once: true });
  }

  function wait(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

  // A picture at all: a few samples of the playing video, black only if every one is.
  async function seesSomething(video) {
    const probe = document.createElement("canvas");
    probe.width = 32; probe.height = 24;
    const context = probe.getContext("2d");
    for (const delay of [300, 500, 700]) {
      await wait(delay);
      context.drawImage(video, 0, 0, 32, 24);
      const pixels = context.getImageData(0, 0, 32, 24).data;
      for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i] + pixels[i + 1] + pixels[i + 2] > 60) return true;
      }
    }
    return false;
  }

  // Two photos from the camera app, each made a 640 px JPEG here (a phone's 12-megapixel original
  // would cost the 09:00 queue its bandwidth). Canvas drawing applies the photo's EXIF orientation.
  function photoCheck(form, button) {
    const canvas = document.getElementById("frame");
    const inputs = Array.from(document.querySelectorAll(".photo-input"));
    const frames = new Array(inputs.length).fill(null);
    const FRESH_MS = 10 * 60 * 1000;
    inputs.forEach((input, index) => input.addEventListener("change", () => {
      const file = input.files && input.files[0];
      if (!file) return;
      // A hint only (the server judges the movement and refuses a replay of the registration photo):
      // the camera app's photo is seconds old, one chosen from the album usually is not.
      if (file.lastModified && Date.now() - file.lastModified > FRESH_MS) {
        show("face-message", "请用前置摄像头现场拍摄，不要从相册选择旧照片。");
        input.value = "";
        return;
      }
      const url = URL.createObjectURL(file);
      const picture = new Image();
      picture.onload = () => {
        const scale = Math.min(1, 640 / Math.max(picture.naturalWidth, picture.naturalHeight));
        canvas.width = Math.round(picture.naturalWidth * scale);
        canvas.height = Math.round(picture.naturalHeight * scale);
        canvas.getContext("2d").drawImage(picture, 0, 0, canvas.width, canvas.height);
        canvas.toBlob((blob) => {
          frames[index] = blob;
          const preview = document.getElementById(`${input.id}-preview`);
          preview.src = url; preview.hidden = false;
          show("face-message", "");
          button.disabled = frames.some((frame) => !frame);
        }, "image/jpeg", 0.85);
      };
      picture.onerror = () => { show("face-message", "无法读取该照片，请重新拍摄。"); input.value = ""; };
      picture.src = url;
    }));
    button.addEventListener("click", () => {
      button.disabled = true;
      sendFrames(form, frames, button);
    }, { once: true });
  }

  // The frames to the server, which keeps them for its verifier workers and answers at once with the
  // place in the queue and when to ask again (a 09:00 queue: every page asking each second would
  // crowd out the answers of the papers already running).
  function sendFrames(form, frames, button) {
    const data = new FormData(form);
    frames.forEach((frame, i) => data.append("frames", frame, `frame${i}.jpg`));
    button.textContent = "验证中…";
    const poll = (answer) => {
      if (!answer.pending) return answer;
      show("face-message", answer.message);
      return wait(Math.max(1, answer.wait || 1) * 1000)
        .then(() => fetch(answer.poll, { headers: { Accept: "application/json" }, credentials: "same-origin" }))
        .then((r) => r.json()).then((next) => poll(Object.assign({ poll: answer.poll }, next)));
    };
    fetch(form.action, { method: "POST", body: data, headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((r) => r.json())
      .then(poll)
      .then((answer) => {
        if (answer.ok && answer.next) { window.location.href = answer.next; return; }
        show("face-message", answer.message || "验证失败，请重试。");
        if (answer.verdict === "review") { button.hidden = true; return; }
        button.textContent = "重新验证";
        // The challenge was used: the next try is a new page with a new one.
        button.onclick = () => window.location.reload();
        button.disabled = false;
      })
      .catch(() => { show("face-message", "网络异常，请重试。"); button.onclick = () => window.location.reload(); button.disabled = false; });
  }

  // A formal paper: photos at the moments the server chose (judged later on the server, never
  // holding up an answer), and 切屏 — the page hidden by another app or tab — reported as a beacon.
  // Moving between questions reloads the page, which is not leaving it.
  function invigilation(box, form) {
    const token = form.querySelector("input[name=csrf_token]").value;
    let moving = false;
    document.addEventListener("click", (event) => {
      if (event.target.closest("a[href], button")) moving = true;
    });
    form.addEventListener("submit", () => { moving = true; });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden" && !moving) {
        const data = new FormData();
        data.append("csrf_token", token);
        navigator.sendBeacon(box.dataset.away, data);
      } else if (document.visibilityState === "visible" && !moving) {
        window.location.reload();  // the count (or the handed-in paper) as the server has it
      }
    });
    const moments = JSON.parse(box.dataset.moments || "[]");
    if (!moments.length || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
    const video = document.getElementById("watch");
    const canvas = document.getElementById("watch-frame");
    const started = Date.now() - parseInt(box.dataset.elapsed, 10) * 1000;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "user", width: { ideal: 480 } }, audio: false })
      .then((stream) => {
        video.srcObject = stream;
        video.play().catch(() => {});
        moments.forEach(([slot, at]) => {
          setTimeout(() => {
            canvas.width = video.videoWidth || 480;
            canvas.height = video.videoHeight || 360;
            canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
            canvas.toBlob((blob) => {
              const data = new FormData();
              data.append("csrf_token", token);
              data.append("slot", slot);
              data.append("frame", blob, "capture.jpg");
              fetch(box.dataset.capture, { method: "POST", body: data, credentials: "same-origin" }).catch(() => {});
            }, "image/jpeg", 0.85);
          }, Math.max(started + at * 1000 - Date.now(), 0));
        });
      })
      .catch(() => {});
  }

  function paper(form) {
    const saved = document.getElementById("saved");
    const banner = document.getElementById("unsaved");
    const questionId = form.querySelector("input[name=question_id]").value;
    const cell = document.querySelector(`#sheet a[data-question="${questionId}"]`);
    // The answer not yet saved (the latest choice of this page's question). It is sent again when the
    // connection returns, and until the server has it the page says so in a banner and does not let
    // the physician leave: a paper must never let one believe an answer is saved when it is not.
    // One send at a time: the 'online' event and a tap arriving together would otherwise post the same
    // answer twice, the server refuse the second as busy (409), and that refusal hide the first's success.
    let unsaved = null, retry = null, sending = false, again = false;
    const showUnsaved = (text) => { banner.textContent = text; banner.hidden = false; saved.textContent = "未保存"; };
    const send = () => {
      if (!unsaved) return;
      if (sending) { again = true; return; }
      const data = unsaved;
      clearTimeout(retry);
      sending = true;
      saved.textContent = "保存中…";
      fetch(form.action, { method: "POST", body: data, headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((r) => {
          if (r.status >= 500 || r.status === 409) throw new Error(String(r.status));  // busy or down: try again
          return r.json();
        })
        .finally(() => {
          sending = false;
          if (again) { again = false; setTimeout(send, 0); }
        })
        .then((answer) => {
          if (unsaved !== data) return;  // a newer choice is on its way
          unsaved = null;
          banner.hidden = true;
          if (answer.ok) {
            saved.textContent = `已保存 ${answer.saved_at}`;
            if (cell) {
              cell.classList.toggle("done", data.getAll("choice").length > 0);
              cell.classList.toggle("flagged", data.get("flagged") === "y");
            }
          } else {
            saved.textContent = answer.message || "保存失败，请重试。";
            if (answer.submitted) window.location.href = form.dataset.review;
          }
        })
        .catch(() => {
          if (unsaved !== data) return;
          showUnsaved("网络异常，本题答案尚未保存。恢复网络后将自动重新提交，请勿关闭或离开本页面。");
          retry = setTimeout(send, 3000);
        });
    };
    form.addEventListener("change", () => { unsaved = new FormData(form); send(); });
    window.addEventListener("online", send);
    document.addEventListener("click", (event) => {
      const link = event.target.closest("a, button");
      if (!unsaved || !link || (link.tagName === "BUTTON" && link.type !== "submit")) return;
      event.preventDefault();
      showUnsaved("本题答案尚未保存，请等待保存成功后再切换题目或交卷（恢复网络后将自动重新提交）。");
      send();
    }, true);
    window.addEventListener("beforeunload", (event) => { if (unsaved) { event.preventDefault(); event.returnValue = ""; } });
    const timer = document.getElementById("timer");
    let left = parseInt(timer.dataset.seconds, 10);
    const tick = () => {
      left -= 1;
      if (left <= 0) { window.location.href = form.dataset.review; return; }
      timer.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    };
    setInterval(tick, 1000);
  }
})();
