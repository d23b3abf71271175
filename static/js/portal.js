// Small helpers for the portal's forms: send an SMS code with a countdown, and show why a tool
// cannot be used yet (the captcha and confirmations are in common.js).
(function () {
  document.querySelectorAll("[data-sms]").forEach((button) => button.addEventListener("click", async () => {
    const form = document.getElementById(button.dataset.sms);
    const phoneInput = button.dataset.phoneInput ? document.getElementById(button.dataset.phoneInput) : null;
    const body = new FormData(form);
    if (phoneInput) body.set("phone", phoneInput.value.trim());
    const out = document.getElementById(button.dataset.out);
    button.disabled = true;
    const res = await fetch("/m/sms", {method: "POST", body});
    const data = await res.json().catch(() => ({error: "网络异常，请重试。"}));
    out.textContent = data.error || data.message;
    out.className = data.error ? "error" : "hint";
    if (data.error) { button.disabled = false; return; }
    let left = 60;
    const label = button.textContent;
    const timer = setInterval(() => {
      left -= 1;
      button.textContent = left + "秒后重发";
      if (left <= 0) { clearInterval(timer); button.textContent = label; button.disabled = false; }
    }, 1000);
  }));

  document.querySelectorAll(".tool.off").forEach((tool) => tool.addEventListener("click", (event) => {
    event.preventDefault();
    const box = document.getElementById("tool-reason");
    box.textContent = tool.querySelector(".tool-reason").textContent;
    box.hidden = false;
    box.scrollIntoView({block: "nearest"});
  }));
})();
