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
  var LANGUAGE_KEY = "realname-help.language";

  // The page's own words in both languages. The page follows the language the assistant answers in (a bot
  // text in Chinese script → zh, in plain English → en); the language button asks the assistant to switch.
  var TEXTS = {
    zh: {
      page_title: "域名实名认证失败 · 自助帮助",
      heading: "域名实名认证审核失败？",
      intro: "把阿里云告诉您的失败原因发给助手（例如「库中无此号」「证件电子信息核验不合格」），它会说明原因并给出修改步骤；也可以上传证件照片，先检查照片是否符合要求。",
      tips_title: "怎么用",
      tip_1: "复制阿里云提示的审核失败原因（控制台、短信或邮件中的文字）。",
      tip_2: "粘贴到对话框中发送，或点击助手给出的选项。",
      tip_3: "按回复中的步骤修改资料，再重新提交实名认证。",
      tip_4: "想检查证件照片时，点对话框左下角的「上传证件照片」。照片要求：JPG、PNG、BMP、HEIC 或 WebP 格式，55 KB 到 5 MB，清晰完整、无遮挡。",
      tip_5: "问题解决不了时，点「转人工」。",
      tips_note: "对话记录保存在本浏览器中，刷新页面后仍在；点「新对话」可清除。",
      chat_label: "对话",
      chat_title: "实名认证助手",
      language_button: "English",
      language_request: "English",
      human: "转人工",
      reset: "新对话",
      log_label: "对话记录",
      typing: "助手正在输入…",
      upload: "上传证件照片",
      placeholder: "输入失败原因，例如：库中无此号",
      input_label: "输入消息",
      send: "发送",
      welcome: "您好！请把阿里云提示的实名认证失败原因发给我，例如「库中无此号」。也可以点「上传证件照片」，我先帮您检查照片。",
      image_alt: "助手发送的图片",
      copy_name: "证件图片-合规副本.jpg",
      copy_download: "下载合规副本",
      pixels: " 像素",
      copy_downloaded: "已下载；服务器上的副本已删除。",
      copy_expired: "副本已过期。",
      copy_once: "只能下载一次，10 分钟内有效。",
      copy_gone: "副本已过期，请重新上传图片",
      network: "网络连接失败，请检查网络后重试。",
      no_reply: "助手这次没有回复，请换个说法再试，或点「转人工」。",
      server_error: "服务器暂时无法处理（错误 {status}），请稍后再试。",
      too_long: "消息过长：最多 {max} 个字，请精简后再发送。",
      too_big: "图片过大：最大 10 MB，请压缩后再上传。",
      uploaded: "已上传图片：{name}"
    },
    en: {
      page_title: "Domain real-name verification failed · Self-service help",
      heading: "Domain name real-name verification rejected?",
      intro: "Send the assistant the failure reason Alibaba Cloud gave you (for example \"Invalid registrant certificate\"): it explains the reason and gives the steps to fix it. You can also upload a photo of the certificate to check first whether it meets the requirements.",
      tips_title: "How to use it",
      tip_1: "Copy the rejection reason Alibaba Cloud shows (the text in the console, the text message or the e-mail).",
      tip_2: "Paste it into the chat and send it, or click one of the options the assistant offers.",
      tip_3: "Change your information following the steps in the reply, then submit the real-name verification again.",
      tip_4: "To check a certificate photo, click \"Upload a certificate photo\" at the bottom left of the chat. Photo requirements: JPG, PNG, BMP, HEIC or WebP, 55 KB to 5 MB, clear, complete and not covered.",
      tip_5: "If the problem is not solved, click \"Talk to a human\".",
      tips_note: "The conversation is kept in this browser and is still there after a reload; \"New conversation\" clears it.",
      chat_label: "Conversation",
      chat_title: "Real-name verification assistant",
      language_button: "中文",
      language_request: "中文",
      human: "Talk to a human",
      reset: "New conversation",
      log_label: "Conversation history",
      typing: "The assistant is typing…",
      upload: "Upload a certificate photo",
      placeholder: "Type the rejection reason, e.g. Invalid registrant certificate",
      input_label: "Type a message",
      send: "Send",
      welcome: "Hello! Please send me the real-name verification failure reason Alibaba Cloud showed you. You can also click \"Upload a certificate photo\" and I will check the photo first.",
      image_alt: "Picture sent by the assistant",
      copy_name: "certificate-compliant-copy.jpg",
      copy_download: "Download the compliant copy",
      pixels: " pixels",
      copy_downloaded: "Downloaded; the copy on the server has been deleted.",
      copy_expired: "The copy has expired.",
      copy_once: "Can be downloaded once, within 10 minutes.",
      copy_gone: "The copy has expired. Please upload the picture again.",
      network: "The network connection failed. Please check your network and try again.",
      no_reply: "The assistant did not answer this time. Please rephrase and try again, or click \"Talk to a human\".",
      server_error: "The server cannot handle this right now (error {status}). Please try again later.",
      too_long: "The message is too long: {max} characters at most. Please shorten it.",
      too_big: "The picture is too large: 10 MB at most. Please compress it and upload it again.",
      uploaded: "Picture uploaded: {name}"
    }
  };
  var language = "zh";

  function t(key, values) {
    var text = (TEXTS[language] || TEXTS.zh)[key];
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(values[name])); });
    return text;
  }

  // The language a bot text is written in, or null when it says nothing (a number, a file name).
  function languageOf(text) {
    if (/[\u3400-\u9fff]/.test(text)) { return "zh"; }
    return /[A-Za-z]{3,}/.test(text) ? "en" : null;
  }

  function applyLanguage(value) {
    language = value === "en" ? "en" : "zh";
    storageSet(LANGUAGE_KEY, language);
    document.documentElement.lang = language === "en" ? "en" : "zh-CN";
    Array.prototype.forEach.call(document.querySelectorAll("[data-text]"), function (node) {
      node.textContent = t(node.getAttribute("data-text"));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-label]"), function (node) {
      node.setAttribute("aria-label", t(node.getAttribute("data-label")));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-title]"), function (node) {
      node.title = t(node.getAttribute("data-title"));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-placeholder]"), function (node) {
      node.placeholder = t(node.getAttribute("data-placeholder"));
    });
    var languageButton = document.getElementById("language");
    if (languageButton) { languageButton.lang = language === "en" ? "zh-CN" : "en"; }
  }

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
    var name = typeof c.filename === "string" && /^[^\\/\u0000-\u001f]{1,100}\.jpg$/.test(c.filename) ? c.filename : t("copy_name");
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
      image.alt = t("image_alt");
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
    var link = el("a", "copy-download", t("copy_download"));
    link.href = "copy/" + encodeURIComponent(copy.ref);
    link.download = copy.filename;
    var details = [copy.filename];
    if (copy.size_bytes) { details.push(Math.round(copy.size_bytes / 1024) + " KB"); }
    if (copy.width && copy.height) { details.push(copy.width + "×" + copy.height + t("pixels")); }
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
    if (state === "downloaded") { return t("copy_downloaded"); }
    if (state === "expired") { return t("copy_expired"); }
    return t("copy_once");
  }

  function downloadCopy(copy) {
    function gone(message) {
      copy.state = copy.state === "downloaded" ? "downloaded" : "expired";
      saveHistory();
      addEntry({ role: "error", text: message || t("copy_gone") });
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
        gone(res.status === 404 && data && typeof data.error === "string" && language === "zh" ? data.error : t("copy_gone"));
      });
    }, function () {
      addEntry({ role: "error", text: t("network") });
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
      addEntry({ role: "error", text: t("no_reply") });
      return;
    }
    var said = list.map(function (m) { return m && typeof m.text === "string" ? m.text : ""; }).join(" ");
    var answered = languageOf(said);
    if (answered && answered !== language) { applyLanguage(answered); }
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
        var msg = data && typeof data.error === "string" ? data.error : t("server_error", { status: res.status });
        addEntry({ role: "error", text: msg });
        return;
      }
      handleBotMessages(data);
    });
  }

  function networkError() {
    addEntry({ role: "error", text: t("network") });
  }

  function sendText(payload, shown) {
    if (busy) { return; }
    var text = String(payload || "").trim();
    if (!text) { return; }
    if (text.length > MAX_CHARS) {
      addEntry({ role: "error", text: t("too_long", { max: MAX_CHARS }) });
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
      addEntry({ role: "error", text: t("too_big") });
      return;
    }
    addEntry({ role: "user", text: t("uploaded", { name: file.name }) });
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
    addEntry({ role: "bot", text: t("welcome"), buttons: [] });
    renderAll();
  }

  function init() {
    messagesEl = document.getElementById("messages");
    typingEl = document.getElementById("typing");
    inputEl = document.getElementById("input");
    sendEl = document.getElementById("send");
    fileEl = document.getElementById("file");
    counterEl = document.getElementById("counter");

    applyLanguage(storageGet(LANGUAGE_KEY));
    loadState();
    if (!history.length) { history.push({ role: "bot", text: t("welcome"), buttons: [] }); saveHistory(); }
    renderAll();

    document.getElementById("composer").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = inputEl.value;
      if (!text.trim()) { inputEl.focus(); return; }
      if (text.trim().length > MAX_CHARS) {
        addEntry({ role: "error", text: t("too_long", { max: MAX_CHARS }) });
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
    document.getElementById("human").addEventListener("click", function () { sendText(HUMAN_PAYLOAD, t("human")); });
    document.getElementById("language").addEventListener("click", function () { sendText(t("language_request")); });
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
