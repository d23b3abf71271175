// 定考培训's video lessons: resume where the physician stopped, and tell the server where they are
// every ten seconds, on pause and when they leave (the server keeps the furthest point: past 90 %
// the lesson counts as done).
(function () {
  const video = document.getElementById("lesson-video");
  const form = document.getElementById("position-form");
  if (!video || !form) return;
  const resume = parseFloat(video.dataset.resume || "0");
  function resumeAt() {
    if (resume > 0 && resume < video.duration - 1) video.currentTime = resume;
  }
  // A cached video may have its metadata before this script runs: then there is no event to wait for.
  if (video.readyState >= 1) resumeAt(); else video.addEventListener("loadedmetadata", resumeAt, { once: true });
  let sent = -1;
  function send(beacon) {
    const position = Math.floor(video.currentTime || 0);
    if (position === sent) return;
    sent = position;
    const data = new FormData(form);
    data.set("position", String(position));
    if (beacon && navigator.sendBeacon) { navigator.sendBeacon(form.action, data); return; }
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((answer) => { if (answer.done) document.getElementById("lesson-state").textContent = "已学完"; })
      .catch(() => {});
  }
  setInterval(() => { if (!video.paused) send(false); }, 10000);
  video.addEventListener("pause", () => send(false));
  video.addEventListener("seeked", () => send(false));
  video.addEventListener("ended", () => send(false));
  window.addEventListener("pagehide", () => send(true));
})();
