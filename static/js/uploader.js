// WeUI's uploader: a tile with a + over an invisible file input (so the browser's own "Choose File /
// No file chosen" never shows), the chosen pictures previewed as tiles before they are saved, and
// 移除 to take back a choice. The files still go up with the form, so pages without JavaScript work.
(function () {
  document.querySelectorAll(".uploader").forEach((box) => {
    const input = box.querySelector(".uploader-input");
    const files = box.querySelector(".uploader-files");
    const caption = box.querySelector(".uploader-caption");
    if (!input || !files) return;
    let previews = [];

    function clearPreviews() {
      previews.forEach((tile) => { URL.revokeObjectURL(tile.querySelector("img").src); tile.remove(); });
      previews = [];
    }

    input.addEventListener("change", () => {
      clearPreviews();
      [...input.files].forEach((file, index) => {
        const tile = document.createElement("li");
        tile.className = "uploader-file pending";
        const img = document.createElement("img");
        img.src = URL.createObjectURL(file);
        img.alt = `所选的第${index + 1}张图片`;
        const status = document.createElement("span");
        status.className = "uploader-status";
        status.textContent = "待保存";
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "uploader-undo";
        remove.textContent = "移除";
        remove.setAttribute("aria-label", `移除所选的第${index + 1}张图片`);
        remove.addEventListener("click", () => { input.value = ""; clearPreviews(); input.focus(); });
        tile.append(img, status, remove);
        files.insertBefore(tile, input.closest(".uploader-add"));
        previews.push(tile);
      });
      if (caption && input.files.length && !input.multiple) caption.textContent = "重新选择";
    });
  });
})();
