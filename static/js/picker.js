// 日期选择 as WeUI's picker: a sheet from the bottom with 年 / 月 / 日 columns that scroll and snap
// under the thumb, 取消 and 确定. A native <input type=date> would speak the browser's language
// (mm/dd/yyyy, "Choose date") inside WeChat; this one speaks Chinese. The field stays a text input
// holding YYYY-MM-DD, so typing, autosave and pages without JavaScript work as before.
(function () {
  const ROW = 44;  // px: a comfortable touch target, and the snap step of each column
  const fields = document.querySelectorAll("input[data-picker=date]");
  if (!fields.length) return;

  function pad(n) { return String(n).padStart(2, "0"); }
  function daysIn(year, month) { return new Date(year, month, 0).getDate(); }

  function column(name, values, suffix, chosen) {
    const list = document.createElement("div");
    list.className = "picker-column";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", name);
    list.tabIndex = 0;
    list.dataset.name = name;
    fill(list, values, suffix, chosen);
    return list;
  }

  function fill(list, values, suffix, chosen) {
    list.replaceChildren(...values.map((value) => {
      const option = document.createElement("div");
      option.className = "picker-option";
      option.setAttribute("role", "option");
      option.dataset.value = value;
      option.textContent = value + suffix;
      option.addEventListener("click", () => select(list, values.indexOf(value), true));
      return option;
    }));
    select(list, Math.max(0, values.indexOf(chosen)), false);
  }

  function select(list, index, smooth) {
    const options = list.querySelectorAll(".picker-option");
    index = Math.min(Math.max(index, 0), options.length - 1);
    options.forEach((o, i) => o.setAttribute("aria-selected", String(i === index)));
    list.setAttribute("aria-activedescendant", "");
    list.dataset.index = index;
    list.scrollTo({top: index * ROW, behavior: smooth ? "smooth" : "instant"});
  }

  function chosen(list) {
    const option = list.querySelectorAll(".picker-option")[Number(list.dataset.index || 0)];
    return option ? Number(option.dataset.value) : null;
  }

  function range(from, to) { const out = []; for (let v = from; v <= to; v++) out.push(v); return out; }

  function open(input) {
    const today = new Date();
    const lastYear = Number(input.dataset.maxYear || today.getFullYear());
    const firstYear = Number(input.dataset.minYear || lastYear - 90);
    const match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(input.value.trim());
    const start = match ? [Number(match[1]), Number(match[2]), Number(match[3])]
                        : [Math.min(lastYear, today.getFullYear()) - (input.id === "birth" ? 35 : 0), today.getMonth() + 1, today.getDate()];
    const label = document.querySelector(`label[for="${input.id}"]`);
    const title = label ? label.textContent.replace("*", "").trim() : "选择日期";

    const mask = document.createElement("div");
    mask.className = "picker-mask";
    const sheet = document.createElement("div");
    sheet.className = "picker";
    sheet.setAttribute("role", "dialog");
    sheet.setAttribute("aria-modal", "true");
    sheet.setAttribute("aria-label", title);
    sheet.innerHTML = `<div class="picker-head"><button type="button" class="picker-cancel">取消</button>
      <strong></strong><button type="button" class="picker-ok">确定</button></div><div class="picker-body"></div>`;
    sheet.querySelector("strong").textContent = title;
    const years = column("年", range(firstYear, lastYear), "年", start[0]);
    const months = column("月", range(1, 12), "月", start[1]);
    const days = column("日", range(1, daysIn(start[0], start[1])), "日", start[2]);
    const body = sheet.querySelector(".picker-body");
    body.append(years, months, days);
    const lens = document.createElement("div");
    lens.className = "picker-lens";
    lens.setAttribute("aria-hidden", "true");
    body.append(lens);

    function refreshDays() {
      const day = chosen(days);
      const count = daysIn(chosen(years), chosen(months));
      if (days.children.length !== count) fill(days, range(1, count), "日", Math.min(day, count));
    }
    [years, months, days].forEach((list) => {
      let settle = null;
      list.addEventListener("scroll", () => {
        clearTimeout(settle);
        settle = setTimeout(() => {
          const index = Math.round(list.scrollTop / ROW);
          if (index !== Number(list.dataset.index)) select(list, index, true);
          if (list !== days) refreshDays();
        }, 120);
      });
      list.addEventListener("keydown", (event) => {
        const step = {ArrowUp: -1, ArrowDown: 1, PageUp: -5, PageDown: 5}[event.key];
        if (step === undefined) return;
        event.preventDefault();
        select(list, Number(list.dataset.index) + step, true);
        if (list !== days) refreshDays();
      });
    });

    function close(value) {
      if (value !== undefined) {
        input.value = value;
        input.dispatchEvent(new Event("input", {bubbles: true}));  // autosave hears it
        input.dispatchEvent(new Event("change", {bubbles: true}));
      }
      mask.remove();
      sheet.remove();
      document.removeEventListener("keydown", onEscape);
      input.focus();
    }
    function onEscape(event) { if (event.key === "Escape") close(); }
    mask.addEventListener("click", () => close());
    sheet.querySelector(".picker-cancel").addEventListener("click", () => close());
    sheet.querySelector(".picker-ok").addEventListener("click", () => {
      refreshDays();
      close(`${chosen(years)}-${pad(chosen(months))}-${pad(chosen(days))}`);
    });
    document.addEventListener("keydown", onEscape);
    document.body.append(mask, sheet);
    [years, months, days].forEach((list) => select(list, Number(list.dataset.index), false));  // scrolls only once shown
    years.focus();
  }

  fields.forEach((input) => {
    input.setAttribute("aria-haspopup", "dialog");
    input.addEventListener("click", () => open(input));
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || (event.altKey && event.key === "ArrowDown")) { event.preventDefault(); open(input); }
    });
  });
})();
