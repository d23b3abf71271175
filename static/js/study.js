// 定考培训's video lessons: resume where the physician stopped, and beat to the server every ten
// seconds while playing, on play, pause, the end and when the page is left. The server credits only
// the time it saw pass (at most 1.5× playback) and moves the furthest point only by watching, so
// the player here keeps to the same rules: no seeking past the furthest point watched, no faster
// than 1.5×. Past 90 % reached by watching the lesson is done.
(function () {
  const video = document.getElementById("lesson-video");
  const form = document.getElementById("position-form");
  if (!video || !form) return;
  const MAX_RATE = 1.5;
  const resume = parseFloat(video.dataset.resume || "0");
  let furthest = parseFloat(video.dataset.furthest || "0");
  const state = document.getElementById("lesson-state");
  function resumeAt() {
    if (resume > 0 && resume < video.duration - 1) video.currentTime = Math.min(resume, furthest);
  }
  // A cached video may have its metadata before this script runs: then there is no event to wait for.
  if (video.readyState >= 1) resumeAt(); else video.addEventListener("loadedmetadata", resumeAt, { once: true });
  video.addEventListener("ratechange", () => { if (video.playbackRate > MAX_RATE) video.playbackRate = MAX_RATE; });
  video.addEventListener("timeupdate", () => {
    if (!video.seeking && video.currentTime <= furthest + 2) furthest = Math.max(furthest, video.currentTime);
  });
  video.addEventListener("seeking", () => {
    if (video.currentTime > furthest + 1) {
      video.currentTime = furthest;
      if (state) state.textContent = "首次学习不能快进到未观看的部分";
    }
  });
  function send(playing, beacon) {
    const data = new FormData(form);
    data.set("position", String(Math.floor(video.currentTime || 0)));
    if (playing) data.set("playing", "y"); else data.delete("playing");
    if (beacon && navigator.sendBeacon) { navigator.sendBeacon(form.action, data); return; }
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((answer) => {
        if (!state) return;
        if (answer.message) state.textContent = answer.message;
        else if (answer.done) state.textContent = `已学完 · 学时${Math.floor(answer.studied / 60)}分${answer.studied % 60}秒`;
      })
      .catch(() => {});
  }
  setInterval(() => { if (!video.paused) send(true, false); }, 10000);
  video.addEventListener("play", () => send(true, false));
  video.addEventListener("pause", () => send(false, false));
  video.addEventListener("ended", () => send(false, false));
  window.addEventListener("pagehide", () => send(false, true));
})();
