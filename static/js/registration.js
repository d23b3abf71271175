// The registration wizard: keep the dependent lists in step with their parent (执业范围 by 执业类别,
// 从事专业 by 科室), show the 简易程序 part only when chosen, count the 述职, and autosave what is
// typed (so a lost connection or a closed page loses at most a few seconds).
(function () {
  const form = document.getElementById("step-form");
  if (!form) return;

  const category = document.getElementById("category");
  const scope = document.getElementById("scope");
  function filterScopes() {
    if (!category || !scope) return;
    [...scope.options].forEach((o) => { if (o.dataset.category) o.hidden = o.dataset.category !== category.value; });
    const chosen = scope.selectedOptions[0];
    if (chosen && chosen.hidden) scope.value = "";
  }
  if (category) { category.addEventListener("change", filterScopes); filterScopes(); }

  const department = document.getElementById("department");
  function filterSpecialties() {
    document.querySelectorAll("#specialties .check").forEach((label) => {
      const match = department && label.dataset.department === department.value;
      label.hidden = !match;
      if (!match) label.querySelector("input").checked = false;
    });
  }
  if (department) { department.addEventListener("change", filterSpecialties); filterSpecialties(); }

  const simple = document.getElementById("simple-only");
  function toggleSimple() {
    const chosen = form.querySelector("input[name=procedure]:checked");
    if (simple) simple.hidden = !(chosen && chosen.value === "简易程序");
  }
  form.querySelectorAll("input[name=procedure]").forEach((r) => r.addEventListener("change", toggleSimple));
  toggleSimple();

  const statement = document.getElementById("statement");
  if (statement) statement.addEventListener("input", () => {
    document.getElementById("statement-count").textContent = statement.value.length;
  });

  let timer = null;
  const status = document.getElementById("autosave-status");
  async function autosave() {
    const body = new FormData(form);
    body.set("action", "autosave");
    form.querySelectorAll("input[type=file]").forEach((input) => body.delete(input.name));
    try {
      const res = await fetch(form.action || window.location.href, {method: "POST", body});
      if (res.ok) { const data = await res.json(); status.textContent = "已自动保存 " + data.saved_at; }
      else status.textContent = "自动保存失败，请点击【保存】";
    } catch (e) { status.textContent = "网络异常，内容未保存，恢复后将自动重试"; timer = setTimeout(autosave, 5000); }
  }
  form.addEventListener("input", (event) => {
    if (event.target.type === "file") return;
    clearTimeout(timer);
    timer = setTimeout(autosave, 2000);
  });
})();
