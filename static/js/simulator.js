// The simulator's chat screen: posts taps and texts to /_sim/send and shows replies as bubbles.
(function () {
  const chat = document.getElementById("chat");
  const userSelect = document.getElementById("user");
  let seenMessages = 0;

  function openid() { return userSelect.value; }

  function bubble(text, who, asHtml) {
    const div = document.createElement("div");
    div.className = "bubble " + who;
    if (asHtml) {
      // Replies may carry <a href> links (WeChat renders those); everything else stays text.
      const safe = text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
        .replace(/&lt;a href=(&quot;|"|')([^"'&]+)(&quot;|"|')&gt;(.*?)&lt;\/a&gt;/g,
                 (m, q1, href, q2, label) => '<a href="' + href + '">' + label + "</a>");
      div.innerHTML = safe;
    } else {
      div.textContent = text;
    }
    chat.appendChild(div);
    chat.scrollTop = chat.scrollHeight;
    return div;
  }

  async function send(payload, echo) {
    if (!openid()) { bubble("请先选择或新建测试用户", "system"); return null; }
    if (echo) bubble(echo, "me");
    const res = await fetch("/_sim/send", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(Object.assign({openid: openid()}, payload)),
    });
    const data = await res.json();
    if (data.error) { bubble(data.error, "system"); return data; }
    const reply = data.reply;
    if (reply.type === "text") bubble(reply.content, "them", true);
    else if (reply.type === "transfer") bubble("已转接在线客服，请稍候", "system");
    return data;
  }

  function selectUser(id) {
    document.cookie = "sim_openid=" + encodeURIComponent(id) + "; path=/; SameSite=Lax";
    localStorage.setItem("sim_openid", id);
    chat.innerHTML = "";
    seenMessages = 0;
    if (id) bubble("当前用户 " + id, "system");
  }

  userSelect.addEventListener("change", () => selectUser(openid()));

  document.getElementById("new-user").addEventListener("click", async () => {
    const res = await fetch("/_sim/users", {method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"});
    const user = await res.json();
    const option = new Option(user.nickname + " · " + user.openid.slice(0, 10) + "…", user.openid, true, true);
    userSelect.add(option);
    selectUser(user.openid);
  });

  document.getElementById("follow").addEventListener("click", () => send({kind: "subscribe"}, "（关注公众号）"));
  document.getElementById("unfollow").addEventListener("click", () => send({kind: "unsubscribe"}, "（取消关注）"));

  function sendText() {
    const input = document.getElementById("text");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({kind: "text", content: text}, text);
  }
  document.getElementById("send").addEventListener("click", sendText);
  document.getElementById("text").addEventListener("keydown", (e) => { if (e.key === "Enter") sendText(); });

  document.querySelectorAll(".sim-menu-name").forEach((btn) => btn.addEventListener("click", () => {
    const top = btn.parentElement;
    const wasOpen = top.classList.contains("open");
    document.querySelectorAll(".sim-menu-top").forEach((t) => t.classList.remove("open"));
    if (!wasOpen) top.classList.add("open");
  }));

  document.querySelectorAll(".sim-sub-btn").forEach((btn) => btn.addEventListener("click", async () => {
    document.querySelectorAll(".sim-menu-top").forEach((t) => t.classList.remove("open"));
    if (btn.dataset.type === "click") {
      await send({kind: "click", key: btn.dataset.key}, "【" + btn.textContent + "】");
    } else {
      const data = await send({kind: "view", key: btn.dataset.url}, null);
      if (data && !data.error) window.location.href = btn.dataset.url;
    }
  }));

  // A template message as WeChat draws it: a card of its own (not a bubble) with the template's title,
  // the date, each field's label beside its value, and 查看详情 when it links somewhere. Text only:
  // the values come from our notices, but the simulator shows them as WeChat would, unformatted.
  function el(tag, className, text) {
    const node = document.createElement(tag);
    node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function card(m) {
    const div = el("div", "bubble template wx-card");
    const sent = m.at ? new Date(m.at * 1000) : new Date();
    div.appendChild(el("div", "wx-card-title", m.title || "模板消息"));
    div.appendChild(el("div", "wx-card-time", (sent.getMonth() + 1) + "月" + sent.getDate() + "日"));
    const fields = el("dl", "wx-card-fields");
    (m.lines || []).forEach((line) => {
      const row = el("div", "wx-card-row");
      row.appendChild(el("dt", "wx-card-label", line.label));
      row.appendChild(el("dd", "wx-card-value", line.value));
      fields.appendChild(row);
    });
    div.appendChild(fields);
    if (m.url) {
      const more = el("a", "wx-card-more", "查看详情");
      more.href = m.url;
      div.appendChild(more);
    }
    chat.appendChild(div);
    chat.scrollTop = chat.scrollHeight;
  }

  async function pollMessages() {
    if (!openid()) return;
    const res = await fetch("/_sim/messages?openid=" + encodeURIComponent(openid()));
    const data = await res.json();
    data.messages.slice(seenMessages).forEach((m) => {
      if (m.kind === "template") {
        card(m);
      } else {
        bubble(m.content || "", "them", true);
      }
    });
    seenMessages = data.messages.length;
  }
  setInterval(pollMessages, 2000);

  async function pollSms() {
    const res = await fetch("/_sim/sms");
    const data = await res.json();
    const list = document.getElementById("sms-list");
    list.innerHTML = "";
    data.messages.slice().reverse().forEach((m) => {
      const li = document.createElement("li");
      li.textContent = m.phone + "：" + m.text;
      list.appendChild(li);
    });
    document.getElementById("sms-count").textContent = data.messages.length ? "（" + data.messages.length + "）" : "";
  }
  setInterval(pollSms, 3000);
  pollSms();

  const remembered = localStorage.getItem("sim_openid");
  if (remembered && [...userSelect.options].some((o) => o.value === remembered)) {
    userSelect.value = remembered;
    selectUser(remembered);
  }
})();
