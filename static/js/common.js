// Behaviour shared by the portal and the console, kept out of the HTML so that the Content
// Security Policy can forbid inline scripts: a click on the captcha loads a new one, and a form
// with data-confirm asks before it is sent.
(function () {
  document.querySelectorAll("img.captcha").forEach((img) => img.addEventListener("click", () => {
    img.src = "/m/captcha.png?t=" + Date.now();
  }));

  document.querySelectorAll("form[data-confirm]").forEach((form) => form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  }));
})();
