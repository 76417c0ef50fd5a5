// The sandbox page: pick a person, chat with the bot as them, move the simulated clock.
// The bot's own texts come from the bot; only the page's labels are here, in both languages.
"use strict";

const LABELS = {
  vi: {
    title: "Môi trường thử nghiệm kpibot",
    subtitle: "Trò chuyện với bot trong vai bất kỳ ai trong danh sách — không cần Telegram, không cần Internet.",
    who: "Bạn là ai?",
    guest: "Khách (chưa liên kết tài khoản)",
    guest_meta: "Tài khoản Telegram chưa liên kết với cán bộ nào",
    admin: "quản trị",
    leader_of: "Cấp trên: {name}",
    top: "Người đứng đầu đơn vị",
    bot_language: "Ngôn ngữ: {lang}",
    placeholder: "Nhập tin nhắn hoặc lệnh, ví dụ /help",
    placeholder_reply: "Trả lời câu hỏi của bot…",
    replying: "Đang trả lời:",
    try: "Thử:",
    send: "Gửi",
    edited: "đã sửa",
    asks: "Bot đang chờ câu trả lời",
    empty: "Chưa có tin nhắn. Thử gửi /help.",
    download: "Tải xuống",
    clock: "Đồng hồ mô phỏng",
    working: "ngày làm việc",
    off: "ngày nghỉ",
    next: "Mốc nhắc việc tiếp theo",
    next_at: "đến {time}",
    nothing_next: "không còn việc gì sắp đến",
    day: "+1 ngày làm việc",
    jump: "Đến thời điểm",
    go: "Đi",
    held: "{n} tin nhắn đang chờ đến {time} (ngoài giờ gửi tin).",
    report: "Đã quét lúc {time}: {r} nhắc việc, {b} quá hạn, {d} tổng hợp; đã gửi {s} tin nhắn.",
    clock_note: "Thời gian chỉ chạy tới. Sau mỗi lần chỉnh, bot làm ngay các việc đến hạn (nhắc việc, quá hạn, tổng hợp) rồi gửi tin.",
    spec_api: "Lệnh gọi Bot API được kiểm tra theo api.json",
    spec_builtin: "Kiểm tra Bot API theo quy tắc tích hợp (không thấy api.json)",
    invalid: "Bot đã gọi sai Bot API {n} lần — xem nhật ký của sandbox.",
    err_clock_backwards: "Không thể lùi thời gian: đồng hồ chỉ chạy tới.",
    err_clock_bad_instant: "Ngày giờ không hợp lệ; ví dụ 2026-11-09T15:00.",
    err_clock_nothing_due: "Không còn việc gì sắp đến: không có mã công việc chờ phê duyệt, bản tổng hợp hay tin nhắn chờ gửi. Vẫn có thể dùng “+1 ngày làm việc” hoặc chọn một thời điểm.",
    err_clock_bad_move: "Thao tác đồng hồ không hợp lệ.",
    err_button_gone: "Nút này không còn trên tin nhắn.",
    err_empty_text: "Hãy nhập nội dung trước khi gửi.",
    err_text_too_long: "Tin nhắn quá dài (tối đa 4096 ký tự).",
    err_unknown_person: "Không tìm thấy người này.",
    err_bad_request: "Yêu cầu không hợp lệ.",
    err_network: "Mất kết nối với sandbox. Sandbox còn chạy không?",
    err_internal: "Sandbox gặp lỗi; xem nhật ký.",
    no_answer: "Bot chưa trả lời nút này.",
    tasks: "Nhiệm vụ ({n})",
    no_tasks: "Chưa được giao nhiệm vụ nào.",
    due: "hạn {day}",
    units: "{n} sản phẩm quy đổi",
    state_to_do: "Chưa thực hiện",
    state_overdue: "Quá hạn",
    state_reported: "Đã báo cáo, chờ phê duyệt",
    state_done: "Đã hoàn thành",
    vi: "tiếng Việt",
    en: "tiếng Anh",
  },
  en: {
    title: "kpibot sandbox",
    subtitle: "Chat with the bot as anyone on the roster — no Telegram, no internet.",
    who: "Who are you?",
    guest: "Guest (account not linked)",
    guest_meta: "A Telegram account linked to no employee",
    admin: "admin",
    leader_of: "Leader: {name}",
    top: "Head of the unit",
    bot_language: "Language: {lang}",
    placeholder: "Type a message or a command, e.g. /help",
    placeholder_reply: "Answer the bot's question…",
    replying: "Replying to:",
    try: "Try:",
    send: "Send",
    edited: "edited",
    asks: "The bot is waiting for an answer",
    empty: "No messages yet. Try /help.",
    download: "Download",
    clock: "Simulated clock",
    working: "working day",
    off: "day off",
    next: "Next reminder slot",
    next_at: "to {time}",
    nothing_next: "nothing is left to come",
    day: "+1 working day",
    jump: "Jump to date",
    go: "Go",
    held: "{n} message(s) held until {time} (quiet hours).",
    report: "Swept at {time}: {r} reminder(s), {b} breach(es), {d} digest(s); {s} message(s) sent.",
    clock_note: "Time only moves forward. After each move the bot does the work due (reminders, breaches, digests) and sends its messages.",
    spec_api: "Bot API calls are checked against api.json",
    spec_builtin: "Bot API calls get built-in checks (api.json not found)",
    invalid: "The bot made {n} invalid Bot API call(s) — see the sandbox's log.",
    err_clock_backwards: "Time cannot go backwards: the clock only moves forward.",
    err_clock_bad_instant: "Not a valid date or time; e.g. 2026-11-09T15:00.",
    err_clock_nothing_due: "Nothing is left to come: no work code waits for approval, no digest, no held message. “+1 working day” and jumping to a date still work.",
    err_clock_bad_move: "Not a clock move the sandbox knows.",
    err_button_gone: "That button is no longer on the message.",
    err_empty_text: "Write something first.",
    err_text_too_long: "The message is too long (4096 characters at most).",
    err_unknown_person: "Nobody has that chat.",
    err_bad_request: "The sandbox did not understand the request.",
    err_network: "Lost contact with the sandbox. Is it still running?",
    err_internal: "The sandbox failed; see its log.",
    no_answer: "The bot has not answered that button.",
    tasks: "Tasks ({n})",
    no_tasks: "No task assigned yet.",
    due: "due {day}",
    units: "{n} converted unit(s)",
    state_to_do: "To do",
    state_overdue: "Overdue",
    state_reported: "Reported, awaiting approval",
    state_done: "Done",
    vi: "Vietnamese",
    en: "English",
  },
};
const ZONE = "Asia/Ho_Chi_Minh";

const state = {
  lang: localStorage.getItem("sandbox-lang") || "vi",
  people: [],
  current: null, // chat id
  seen: {}, // chat id -> latest message id seen
  latest: {},
  chat: null,
  chatJson: "",
  clock: null,
  report: null,
  busy: false,
  jumpEdited: false,
  presses: 0, // button presses the bot has answered or not, for whoever watches the page
  tasks: null, // the chosen person's tasks
  tasksJson: "",
  tasksOpen: localStorage.getItem("sandbox-tasks") === "open",
};

const $ = (selector) => document.querySelector(selector);

function t(key, values = {}) {
  const text = LABELS[state.lang][key] ?? LABELS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
}

function locale() {
  return state.lang === "vi" ? "vi-VN" : "en-GB";
}

function fmt(date, options) {
  return new Intl.DateTimeFormat(locale(), { timeZone: ZONE, ...options }).format(date);
}

function shortTime(date) {
  const parts = {};
  new Intl.DateTimeFormat("en-GB", {
    timeZone: ZONE, hour: "2-digit", minute: "2-digit", hour12: false, day: "2-digit", month: "2-digit",
  }).formatToParts(date).forEach((part) => { parts[part.type] = part.value; });
  return `${parts.hour}:${parts.minute} ${parts.day}/${parts.month}`; // 15:00 02/11, as in Vietnam
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    throw new Error(t("err_network"));
  }
  const data = await response.json().catch(() => ({ error: "internal" }));
  if (!response.ok) {
    throw new Error(LABELS[state.lang]["err_" + data.error] ? t("err_" + data.error) : data.detail || t("err_internal"));
  }
  return data;
}

let toastTimer = null;
function toast(text, alert = false) {
  const box = $("#toast");
  box.textContent = text;
  box.classList.toggle("alert", alert);
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, alert ? 6000 : 3500);
}

// ---- labels and language ----

function applyLanguage() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll("[data-t]").forEach((node) => { node.textContent = t(node.dataset.t); });
  document.querySelectorAll(".lang button").forEach((b) => b.classList.toggle("on", b.dataset.lang === state.lang));
  renderPeople();
  renderHeader();
  renderChat(true);
  renderTasks(true);
  renderClock();
}

// ---- people ----

function person(chatId) {
  return state.people.find((p) => p.chat_id === chatId);
}

function describe(p) {
  if (p.guest) return t("guest_meta");
  const role = p.role === "admin" ? ` · ${t("admin")}` : "";
  return `${p.position[state.lang]}${role}`;
}

function renderPeople() {
  const list = $("#people");
  list.replaceChildren();
  for (const p of state.people) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.chat = p.chat_id;
    if (p.code) button.dataset.code = p.code;
    button.className = `depth-${Math.min(p.depth ?? 0, 3)}`;
    const text = document.createElement("span");
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = p.guest ? t("guest") : p.name;
    const what = document.createElement("span");
    what.className = "what";
    what.textContent = p.guest ? "" : describe(p);
    const badge = document.createElement("span");
    badge.className = "badge";
    text.append(who, what);
    button.append(text, badge);
    button.addEventListener("click", () => choose(p.chat_id));
    item.append(button);
    list.append(item);
  }
  markPeople();
}

function markPeople() {
  document.querySelectorAll("#people button").forEach((button) => {
    const chatId = Number(button.dataset.chat);
    const unseen = (state.latest[chatId] || 0) > (state.seen[chatId] || 0);
    button.classList.toggle("on", chatId === state.current);
    button.querySelector(".badge").hidden = !unseen || chatId === state.current;
  });
}

function renderHeader() {
  const p = person(state.current);
  if (!p) return;
  $("#chat-name").textContent = p.guest ? t("guest") : `${p.name} (${p.code})`;
  const parts = p.guest ? [t("guest_meta")] : [
    describe(p),
    p.unit,
    p.leader ? t("leader_of", { name: p.leader }) : t("top"),
    t("bot_language", { lang: t(p.language) }),
  ];
  $("#chat-meta").textContent = parts.join(" · ");
}

async function choose(chatId) {
  state.current = chatId;
  state.chat = null;
  state.chatJson = "";
  state.tasks = null;
  localStorage.setItem("sandbox-person", String(chatId));
  markPeople();
  renderHeader();
  renderTasks(true);
  await Promise.all([refreshChat(), refreshTasks()]);
  // On a phone the chat is below the list: bring it into view, without popping up the keyboard.
  if (matchMedia("(max-width: 800px)").matches) $(".chat-panel").scrollIntoView();
  else $("#text").focus();
}

// ---- chat ----

function renderMessage(m) {
  const box = document.createElement("div");
  box.className = "msg" + (m.from_bot ? "" : " mine");
  box.dataset.id = m.id;
  if (m.reply_to) {
    const quote = document.createElement("div");
    quote.className = "quote";
    quote.textContent = m.reply_to;
    box.append(quote);
  }
  if (m.photo) {
    const img = document.createElement("img");
    img.src = m.photo;
    img.alt = "";
    box.append(img);
  }
  if (m.document) {
    const link = document.createElement("a");
    link.className = "doc";
    link.href = m.document.url;
    link.textContent = `📄 ${m.document.name} — ${t("download")}`;
    box.append(link);
  }
  const body = document.createElement("div");
  body.className = "body";
  body.innerHTML = m.html; // escaped by the sandbox; only Telegram's formatting tags
  box.append(body);
  if (m.buttons.length) box.append(renderKeyboard(m));
  if (m.force_reply && state.chat && state.chat.reply_to === m.id) {
    const ask = document.createElement("div");
    ask.className = "ask";
    ask.textContent = "↩ " + t("asks");
    box.append(ask);
  }
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.textContent = shortTime(new Date(m.date * 1000)) + (m.edited ? ` · ${t("edited")}` : "");
  box.append(meta);
  return box;
}

function renderKeyboard(m) {
  const keyboard = document.createElement("div");
  keyboard.className = "keyboard";
  for (const row of m.buttons) {
    const line = document.createElement("div");
    line.className = "row";
    for (const b of row) {
      let node;
      if (b.url) {
        node = document.createElement("a");
        node.href = b.url;
        node.target = "_blank";
        node.rel = "noopener";
      } else {
        node = document.createElement("button");
        node.type = "button";
        node.dataset.data = b.data;
        node.addEventListener("click", () => press(m.id, b.data, node));
      }
      node.textContent = b.text;
      line.append(node);
    }
    keyboard.append(line);
  }
  return keyboard;
}

function renderChat(force = false) {
  const box = $("#messages");
  const chat = state.chat;
  if (!chat) { box.replaceChildren(); return; }
  const json = JSON.stringify(chat);
  if (!force && json === state.chatJson) return;
  state.chatJson = json;
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  box.replaceChildren();
  if (!chat.messages.length) {
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = t("empty");
    box.append(empty);
  }
  chat.messages.forEach((m) => box.append(renderMessage(m)));
  if (atBottom || force) {
    box.scrollTop = box.scrollHeight;
    // Pictures take their height only once loaded: keep the newest message in view.
    box.querySelectorAll("img").forEach((img) => img.addEventListener("load", () => {
      box.scrollTop = box.scrollHeight;
    }));
  }
  const asked = chat.messages.find((m) => m.id === chat.reply_to);
  $("#replying").hidden = !asked;
  $("#replying-text").textContent = asked ? asked.text : "";
  $("#text").placeholder = asked ? t("placeholder_reply") : t("placeholder");
  const last = chat.messages.length ? chat.messages[chat.messages.length - 1].id : 0;
  state.seen[state.current] = Math.max(state.seen[state.current] || 0, last);
}

async function refreshChat() {
  if (state.current === null) return;
  const chatId = state.current;
  const chat = await api(`/api/chats/${chatId}`);
  if (chatId !== state.current) return;
  const first = state.chat === null;
  state.chat = chat;
  const p = person(chatId);
  if (p && chat.language && p.language !== chat.language) {
    p.language = chat.language; // /language changed it: the header follows at once
    renderHeader();
  }
  renderChat(first);
}

async function send(event) {
  event.preventDefault();
  const input = $("#text");
  const text = input.value;
  if (!text.trim()) return;
  try {
    await api(`/api/chats/${state.current}/messages`, { text });
    input.value = "";
    setTimeout(refreshChat, 150);
  } catch (error) {
    toast(error.message, true);
  }
}

async function press(messageId, data, node) {
  node.disabled = true;
  try {
    const result = await api(`/api/chats/${state.current}/buttons`, { message_id: messageId, data });
    // An answer without text is an answer (Telegram just stops the spinner): nothing to show.
    if (!result.answered) toast(t("no_answer"), true);
    else if (result.answer) toast(result.answer, result.alert);
  } catch (error) {
    toast(error.message, true);
  } finally {
    node.disabled = false;
    document.body.dataset.presses = String(++state.presses);
    refreshChat();
  }
}

// ---- tasks ----

function dayOf(iso) {
  const [year, month, day] = iso.split("-");
  return `${day}/${month}/${year}`; // 05/11/2026, as in Vietnam
}

function renderTasks(force = false) {
  const toggle = $("#tasks-toggle");
  const panel = $("#tasks");
  const tasks = state.tasks;
  const p = person(state.current);
  const json = JSON.stringify(tasks);
  if (!force && json === state.tasksJson) return;
  state.tasksJson = json;
  toggle.hidden = !p || p.guest || tasks === null;
  panel.hidden = toggle.hidden || !state.tasksOpen;
  toggle.setAttribute("aria-expanded", String(!panel.hidden));
  toggle.classList.toggle("on", !panel.hidden);
  if (toggle.hidden) return;
  toggle.textContent = t("tasks", { n: tasks.length });
  const list = $("#task-list");
  list.replaceChildren();
  if (!tasks.length) {
    const none = document.createElement("li");
    none.className = "none";
    none.textContent = t("no_tasks");
    list.append(none);
  }
  for (const task of tasks) {
    const item = document.createElement("li");
    item.dataset.task = task.number;
    item.dataset.state = task.state;
    const number = document.createElement("span");
    number.className = "task-number";
    number.textContent = task.number;
    const title = document.createElement("span");
    title.className = "task-title";
    title.textContent = task.title;
    const meta = document.createElement("span");
    meta.className = "task-meta";
    meta.textContent = [
      t("due", { day: dayOf(task.due_on) }),
      task.type[state.lang],
      t("units", { n: Number(task.weight).toLocaleString(locale()) }),
    ].join(" · ");
    const label = document.createElement("span");
    label.className = `task-state ${task.state}`;
    label.textContent = t(`state_${task.state}`);
    item.append(number, title, label, meta);
    list.append(item);
  }
}

async function refreshTasks() {
  if (state.current === null) return;
  const chatId = state.current;
  const { tasks } = await api(`/api/chats/${chatId}/tasks`);
  if (chatId !== state.current) return;
  state.tasks = tasks;
  renderTasks();
}

function toggleTasks() {
  state.tasksOpen = !state.tasksOpen;
  localStorage.setItem("sandbox-tasks", state.tasksOpen ? "open" : "closed");
  renderTasks(true);
}

// ---- clock ----

function renderClock() {
  const clock = state.clock;
  if (!clock) return;
  const now = new Date(clock.now);
  $("#clock-day").textContent = fmt(now, { weekday: "long", day: "2-digit", month: "2-digit", year: "numeric" });
  $("#clock-time").textContent = fmt(now, { hour: "2-digit", minute: "2-digit", hour12: false });
  $("#clock-kind").textContent = clock.working_day ? t("working") : t("off");
  $("#next-at").textContent = clock.next_event
    ? t("next_at", { time: shortTime(new Date(clock.next_event)) })
    : t("nothing_next");
  const held = $("#held");
  held.hidden = !clock.held;
  if (clock.held) held.textContent = t("held", { n: clock.held, time: shortTime(new Date(clock.held_until)) });
  fillJump(clock.now);
  const report = $("#report");
  report.hidden = !state.report;
  if (state.report) {
    const { at, sweep, sent } = state.report;
    report.textContent = t("report", {
      time: shortTime(new Date(at)), r: sweep.reminders, b: sweep.breaches, d: sweep.digests, s: sent,
    });
  }
}

// The jump box shows the clock's time, except while the person edits it: polling must not
// overwrite a focused box, nor one they typed in and left, until they jump (or empty it).
function fillJump(now) {
  const box = $("#jump-to");
  if (document.activeElement === box || (state.jumpEdited && box.value)) return;
  state.jumpEdited = false;
  box.value = now.slice(0, 16);
}

async function move(body) {
  if (state.busy) return;
  state.busy = true;
  document.querySelectorAll(".clock-actions button").forEach((b) => { b.disabled = true; });
  try {
    const result = await api("/api/clock", body);
    $("#toast").hidden = true;
    state.clock = result.clock;
    state.report = { at: result.clock.now, sweep: result.sweep, sent: result.sent };
    if (body.action === "jump") state.jumpEdited = false; // done with what was typed
    renderClock();
    await Promise.all([refreshChat(), refreshTasks()]);
  } catch (error) {
    toast(error.message, true);
  } finally {
    state.busy = false;
    document.querySelectorAll(".clock-actions button").forEach((b) => { b.disabled = false; });
  }
}

// ---- polling ----

async function poll() {
  try {
    const data = await api("/api/state");
    state.clock = state.busy ? state.clock : data.clock;
    state.latest = Object.fromEntries(Object.entries(data.latest).map(([k, v]) => [Number(k), v]));
    $("#spec").textContent = data.spec === "api.json" ? t("spec_api") : t("spec_builtin");
    $("#invalid").hidden = !data.invalid_calls;
    if (data.invalid_calls) $("#invalid").textContent = t("invalid", { n: data.invalid_calls });
    renderClock();
    markPeople();
    await Promise.all([refreshChat(), refreshTasks()]);
  } catch (error) {
    // The next tick tries again; say so only once in a while.
    if (!$("#toast").hidden) return;
    toast(error.message, true);
  }
}

async function start() {
  document.querySelectorAll(".lang button").forEach((b) => b.addEventListener("click", () => {
    state.lang = b.dataset.lang;
    localStorage.setItem("sandbox-lang", state.lang);
    applyLanguage();
  }));
  document.querySelectorAll(".chip").forEach((chip) => chip.addEventListener("click", () => {
    $("#text").value = chip.dataset.fill;
    $("#text").focus();
  }));
  $("#composer").addEventListener("submit", send);
  $("#tasks-toggle").addEventListener("click", toggleTasks);
  $("#move-next").addEventListener("click", () => move({ action: "next" }));
  $("#move-day").addEventListener("click", () => move({ action: "day" }));
  $("#jump-to").addEventListener("input", () => { state.jumpEdited = true; });
  $("#jump").addEventListener("submit", (event) => {
    event.preventDefault();
    move({ action: "jump", to: $("#jump-to").value });
  });
  const { people } = await api("/api/people");
  state.people = people;
  const saved = Number(localStorage.getItem("sandbox-person"));
  state.current = person(saved) ? saved : people[0]?.chat_id ?? null;
  applyLanguage();
  await poll();
  setInterval(poll, 1000);
}

start().catch((error) => toast(error.message, true));
