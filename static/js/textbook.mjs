// The e-textbook, page by page on canvases (pdf.js): Android's WeChat WebView shows no PDF by
// itself. Each page is drawn at the screen's width and pixel density; the file comes with range
// requests, so the first pages show before the rest has arrived.
import * as pdfjs from "../vendor/pdfjs/pdf.min.mjs";

const box = document.getElementById("pdf-pages");
if (box) {
  pdfjs.GlobalWorkerOptions.workerSrc = box.dataset.worker;
  const status = document.getElementById("pdf-status");
  // Simplified Chinese character maps: a textbook's Chinese font may not be embedded (STSong-Light).
  pdfjs.getDocument({ url: box.dataset.src, withCredentials: true, cMapUrl: box.dataset.cmaps, cMapPacked: true })
    .promise.then(async (pdf) => {
    status.textContent = `共${pdf.numPages}页`;
    const width = box.clientWidth || window.innerWidth;
    const ratio = window.devicePixelRatio || 1;
    for (let number = 1; number <= pdf.numPages; number += 1) {
      const page = await pdf.getPage(number);
      const scale = width / page.getViewport({ scale: 1 }).width;
      const viewport = page.getViewport({ scale: scale * ratio });
      const canvas = document.createElement("canvas");
      canvas.width = viewport.width;
      canvas.height = viewport.height;
      canvas.style.width = "100%";
      canvas.setAttribute("aria-label", `第${number}页`);
      box.appendChild(canvas);
      await page.render({ canvasContext: canvas.getContext("2d"), viewport }).promise;
      canvas.dataset.rendered = "1";
    }
  }).catch(() => { status.textContent = "电子教材无法在页面中显示，请点击下方按钮打开。"; });
}
