// Chat panel of the real-name verification help page.
// Every text from the user or the bot is put into the page with textContent only: never as HTML.
(function () {
  "use strict";

  var SENDER_KEY = "realname-help.sender";
  var HISTORY_KEY = "realname-help.history";
  var MAX_HISTORY = 200;
  var MAX_CHARS = 5000;
  var MAX_UPLOAD = 10 * 1024 * 1024;
  var HUMAN_PAYLOAD = "/ask_human";
  var COPY_REF = /^[0-9a-f]{32}\.jpg$/;
  var COPY_NAME = "证件图片-合规副本.jpg";
  var COPY_GONE = "副本已过期，请重新上传图片";
  var WELCOME = "您好！请把阿里云提示的实名认证失败原因发给我，例如「库中无此号」。也可以点「上传证件照片」，我先帮您检查照片。";

  var messagesEl, typingEl, inputEl, sendEl, fileEl, counterEl;
  var busy = false;
  var history = [];
  var sender = "";

  // ---------------------------------------------------------------- storage

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: keep in memory */ }
  }
  function storageRemove(key) {
    try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
  }

  function newSenderId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var hex = "";
    for (var i = 0; i < bytes.length; i++) { hex += ("0" + bytes[i].toString(16)).slice(-2); }
    return "w" + hex;
  }

  function loadState() {
    sender = storageGet(SENDER_KEY) || "";
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(sender)) {
      sender = newSenderId();
      storageSet(SENDER_KEY, sender);
    }
    history = [];
    var raw = storageGet(HISTORY_KEY);
    if (raw) {
      try {
        var parsed = JSON.parse(raw);
        if (Array.isArray(parsed)) { history = parsed.filter(validEntry).map(cleanEntry); }
      } catch (e) { history = []; }
    }
  }

  function validEntry(e) {
    return e && typeof e === "object" && typeof e.role === "string" && typeof e.text === "string";
  }

  // A stored entry's compliant-copy offer is kept only in its known shape; anything else is dropped.
  function cleanEntry(e) {
    if (e.copy !== undefined) {
      var copy = cleanCopy(e.copy);
      if (copy) { e.copy = copy; } else { delete e.copy; }
    }
    return e;
  }

  function cleanCopy(c) {
    if (!c || typeof c !== "object" || typeof c.ref !== "string" || !COPY_REF.test(c.ref)) { return null; }
    function count(n) { return typeof n === "number" && isFinite(n) && n > 0 ? Math.round(n) : null; }
    var name = typeof c.filename === "string" && /^[^\\/\u0000-\u001f]{1,100}\.jpg$/.test(c.filename) ? c.filename : COPY_NAME;
    var state = c.state === "downloaded" || c.state === "expired" ? c.state : "ready";
    return { ref: c.ref, filename: name, size_bytes: count(c.size_bytes), width: count(c.width), height: count(c.height), state: state };
  }

  function saveHistory() {
    if (history.length > MAX_HISTORY) { history = history.slice(history.length - MAX_HISTORY); }
    storageSet(HISTORY_KEY, JSON.stringify(history));
  }

  // ---------------------------------------------------------------- rendering

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function safeImageUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }

  function renderEntry(entry, index) {
    var wrap = el("div", "msg " + (entry.role === "user" ? "user" : entry.role === "error" ? "error" : "bot"));
    if (entry.text) { wrap.appendChild(el("div", "text", entry.text)); }

    var img = safeImageUrl(entry.image);
    if (img) {
      var image = document.createElement("img");
      image.className = "bot-image";
      image.alt = "助手发送的图片";
      image.src = img;
      wrap.appendChild(image);
    }

    if (entry.copy) { wrap.appendChild(renderCopy(entry.copy)); }

    if (Array.isArray(entry.buttons) && entry.buttons.length) {
      var row = el("div", "buttons");
      entry.buttons.forEach(function (b) {
        if (!b || typeof b.title !== "string" || typeof b.payload !== "string") { return; }
        var button = el("button", "quick-reply", b.title);
        button.type = "button";
        button.dataset.used = entry.used ? "1" : "0";
        button.disabled = !!entry.used || busy;
        button.addEventListener("click", function () {
          if (busy) { return; }
          history[index].used = true;
          saveHistory();
          Array.prototype.forEach.call(row.querySelectorAll("button"), function (x) {
            x.dataset.used = "1";
            x.disabled = true;
          });
          sendText(b.payload, b.title);
        });
        row.appendChild(button);
      });
      wrap.appendChild(row);
    }
    messagesEl.appendChild(wrap);
  }

  // The compliant copy: a link to copy/<ref>. The click fetches it (so a 404 can be shown as text)
  // and saves it with a temporary blob: link. The server deletes the copy once it was served.
  function renderCopy(copy) {
    var box = el("div", "copy");
    var link = el("a", "copy-download", "下载合规副本");
    link.href = "copy/" + encodeURIComponent(copy.ref);
    link.download = copy.filename;
    var details = [copy.filename];
    if (copy.size_bytes) { details.push(Math.round(copy.size_bytes / 1024) + " KB"); }
    if (copy.width && copy.height) { details.push(copy.width + "×" + copy.height + " 像素"); }
    var meta = el("div", "copy-meta", details.join(" · "));
    var status = el("div", "copy-status", copyStatusText(copy.state));
    link.addEventListener("click", function (ev) {
      ev.preventDefault();
      if (link.dataset.loading === "1") { return; }
      link.dataset.loading = "1";
      downloadCopy(copy).then(function () {
        status.textContent = copyStatusText(copy.state);
        link.dataset.loading = "0";
      });
    });
    box.appendChild(link);
    box.appendChild(meta);
    box.appendChild(status);
    return box;
  }

  function copyStatusText(state) {
    if (state === "downloaded") { return "已下载；服务器上的副本已删除。"; }
    if (state === "expired") { return "副本已过期。"; }
    return "只能下载一次，10 分钟内有效。";
  }

  function downloadCopy(copy) {
    function gone(message) {
      copy.state = copy.state === "downloaded" ? "downloaded" : "expired";
      saveHistory();
      addEntry({ role: "error", text: message || COPY_GONE });
    }
    return fetch("copy/" + encodeURIComponent(copy.ref), { cache: "no-store" }).then(function (res) {
      if (res.ok && (res.headers.get("Content-Type") || "").indexOf("image/jpeg") === 0) {
        return res.blob().then(function (blob) {
          saveBlob(blob, copy.filename);
          copy.state = "downloaded";
          saveHistory();
        });
      }
      return res.text().then(function (body) {
        var data = null;
        try { data = JSON.parse(body); } catch (e) { data = null; }
        gone(res.status === 404 && data && typeof data.error === "string" ? data.error : COPY_GONE);
      });
    }, function () {
      addEntry({ role: "error", text: "网络连接失败，请检查网络后重试。" });
    });
  }

  function saveBlob(blob, filename) {
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = filename;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(url); }, 30000);
  }

  function renderAll() {
    while (messagesEl.firstChild) { messagesEl.removeChild(messagesEl.firstChild); }
    history.forEach(renderEntry);
    scrollDown();
  }

  function addEntry(entry) {
    history.push(entry);
    saveHistory();
    renderEntry(entry, history.length - 1);
    scrollDown();
  }

  function scrollDown() {
    messagesEl.scrollTop = messagesEl.scrollHeight;
  }

  function setBusy(value) {
    busy = value;
    typingEl.hidden = !value;
    sendEl.disabled = value;
    fileEl.disabled = value;
    // Buttons of a message already answered by a click stay disabled.
    Array.prototype.forEach.call(messagesEl.querySelectorAll(".buttons button"), function (b) {
      b.disabled = value || b.dataset.used === "1";
    });
    if (value) { scrollDown(); }
  }

  // ---------------------------------------------------------------- talking to the server

  function handleBotMessages(list) {
    if (!Array.isArray(list) || list.length === 0) {
      addEntry({ role: "error", text: "助手这次没有回复，请换个说法再试，或点「转人工」。" });
      return;
    }
    list.forEach(function (m) {
      if (!m || typeof m !== "object") { return; }
      var buttons = [];
      (m.buttons || m.quick_replies || []).forEach(function (b) {
        if (b && b.title && b.payload) { buttons.push({ title: String(b.title), payload: String(b.payload) }); }
      });
      var entry = { role: "bot", text: typeof m.text === "string" ? m.text : "", buttons: buttons };
      if (safeImageUrl(m.image)) { entry.image = m.image; }
      var copy = m.custom && typeof m.custom === "object" ? cleanCopy(m.custom.compliant_copy) : null;
      if (copy) { entry.copy = copy; }
      if (!entry.text && !entry.buttons.length && !entry.image && !entry.copy) { return; }
      addEntry(entry);
    });
  }

  function handleResponse(res) {
    return res.text().then(function (body) {
      var data = null;
      try { data = body ? JSON.parse(body) : null; } catch (e) { data = null; }
      if (!res.ok) {
        var msg = data && typeof data.error === "string" ? data.error : "服务器暂时无法处理（错误 " + res.status + "），请稍后再试。";
        addEntry({ role: "error", text: msg });
        return;
      }
      handleBotMessages(data);
    });
  }

  function networkError() {
    addEntry({ role: "error", text: "网络连接失败，请检查网络后重试。" });
  }

  function sendText(payload, shown) {
    if (busy) { return; }
    var text = String(payload || "").trim();
    if (!text) { return; }
    if (text.length > MAX_CHARS) {
      addEntry({ role: "error", text: "消息过长：最多 " + MAX_CHARS + " 个字，请精简后再发送。" });
      return;
    }
    addEntry({ role: "user", text: shown || text });
    setBusy(true);
    fetch("webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sender, message: text })
    }).then(handleResponse, networkError).then(function () { setBusy(false); }, function () { setBusy(false); });
  }

  function uploadFile(file) {
    if (busy || !file) { return; }
    if (file.size > MAX_UPLOAD) {
      addEntry({ role: "error", text: "图片过大：最大 10 MB，请压缩后再上传。" });
      return;
    }
    addEntry({ role: "user", text: "已上传图片：" + file.name });
    var form = new FormData();
    form.append("sender", sender);
    form.append("file", file, file.name);
    setBusy(true);
    fetch("upload", { method: "POST", body: form })
      .then(handleResponse, networkError)
      .then(function () { setBusy(false); }, function () { setBusy(false); });
  }

  // ---------------------------------------------------------------- wiring

  function updateCounter() {
    var n = inputEl.value.length;
    counterEl.textContent = n > MAX_CHARS * 0.9 ? n + " / " + MAX_CHARS : "";
    counterEl.classList.toggle("over", n > MAX_CHARS);
  }

  function reset() {
    storageRemove(HISTORY_KEY);
    sender = newSenderId();
    storageSet(SENDER_KEY, sender);
    history = [];
    addEntry({ role: "bot", text: WELCOME, buttons: [] });
    renderAll();
  }

  function init() {
    messagesEl = document.getElementById("messages");
    typingEl = document.getElementById("typing");
    inputEl = document.getElementById("input");
    sendEl = document.getElementById("send");
    fileEl = document.getElementById("file");
    counterEl = document.getElementById("counter");

    loadState();
    if (!history.length) { history.push({ role: "bot", text: WELCOME, buttons: [] }); saveHistory(); }
    renderAll();

    document.getElementById("composer").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = inputEl.value;
      if (!text.trim()) { inputEl.focus(); return; }
      if (text.trim().length > MAX_CHARS) {
        addEntry({ role: "error", text: "消息过长：最多 " + MAX_CHARS + " 个字，请精简后再发送。" });
        return;
      }
      inputEl.value = "";
      updateCounter();
      sendText(text);
    });
    inputEl.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        document.getElementById("composer").requestSubmit();
      }
    });
    inputEl.addEventListener("input", updateCounter);
    fileEl.addEventListener("change", function () {
      var file = fileEl.files && fileEl.files[0];
      fileEl.value = "";
      uploadFile(file);
    });
    document.getElementById("human").addEventListener("click", function () { sendText(HUMAN_PAYLOAD, "转人工"); });
    document.getElementById("reset").addEventListener("click", reset);

    var tips = document.getElementById("tips");
    if (tips && window.matchMedia && window.matchMedia("(max-width: 720px)").matches) { tips.open = false; }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
