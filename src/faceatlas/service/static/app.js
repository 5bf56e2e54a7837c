// Small helpers for the people pages: every change is one call to the REST API, then a reload.
(function () {
  function key() { return localStorage.getItem("faceatlas_key"); }
  function toast(text) {
    const t = document.getElementById("toast");
    t.textContent = text; t.classList.add("show");
    setTimeout(() => t.classList.remove("show"), 1800);
  }
  async function call(method, url, body) {
    const headers = { "Content-Type": "application/json" };
    if (key()) headers["X-API-Key"] = key();
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) {
      let msg = res.statusText;
      try { msg = (await res.json()).error.message; } catch (e) { /* keep status text */ }
      toast(msg); throw new Error(msg);
    }
    return res.json();
  }
  const rename = document.getElementById("rename-form");
  if (rename) rename.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const id = rename.dataset.personId;
    const value = document.getElementById("name-input").value.trim();
    await call("PATCH", `/v1/people/${id}`, { name: value || null });  // blank: clear the name
    toast("Saved"); document.title = (value || `Person ${id}`) + " · faceatlas";
  });
  // Merge person `other` (shown as `label`) into `personId` once confirmed; says when it overrode a "not this person".
  async function mergeInto(personId, other, label) {
    if (!confirm(`Merge "${label}" into this person? (History can undo it.)`)) return;
    const res = await call("POST", `/v1/people/${personId}/merge`, { other });
    if (res.overridden && res.overridden.length) alert(`This merge overrode your "not this person" for ${res.overridden.length} faces. History can undo it.`);
    location.reload();
  }
  const merge = document.getElementById("merge-form");
  if (merge) merge.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const sel = document.getElementById("merge-select");
    const other = parseInt(sel.value, 10);
    if (!other) return;
    await mergeInto(merge.dataset.personId, other, sel.options[sel.selectedIndex].text);
  });
  document.querySelectorAll("button.merge-similar").forEach((b) => b.addEventListener("click", () =>
    mergeInto(b.dataset.personId, parseInt(b.dataset.other, 10), b.dataset.label)));
  document.querySelectorAll("button.reject").forEach((b) => b.addEventListener("click", async () => {
    await call("POST", `/v1/faces/${b.dataset.faceId}/reject`);
    b.closest(".face-card").remove(); toast("Removed from this person");
  }));
  // The people to move a face to are in the page once (a <template>), copied into a face's list when it is used.
  const moveOptions = document.getElementById("move-options");
  const fillMove = (s) => { if (moveOptions && s.options.length === 1) s.append(moveOptions.content.cloneNode(true)); };
  document.querySelectorAll("select.move").forEach((s) => {
    ["focus", "mousedown", "touchstart"].forEach((ev) => s.addEventListener(ev, () => fillMove(s)));
  });
  document.querySelectorAll("select.move").forEach((s) => s.addEventListener("change", async () => {
    if (!s.value) return;
    await call("POST", `/v1/faces/${s.dataset.faceId}/move`, { person_id: parseInt(s.value, 10) });
    s.closest(".face-card").remove(); toast("Moved");
  }));
  // Review answers: each names a whole person; the page reloads so the next question reflects it.
  function undoToast(text, actionId) {
    toast(text);
    const t = document.getElementById("toast");
    if (!actionId) return;
    const b = document.createElement("button");
    b.textContent = "Undo"; b.className = "undo-toast";
    b.addEventListener("click", async () => { await call("POST", `/v1/actions/${actionId}/undo`); location.reload(); });
    t.appendChild(document.createTextNode(" ")); t.appendChild(b);
  }
  async function answer(faceId, body, text) {
    let res;
    try {
      res = await call("POST", `/v1/faces/${faceId}/answer`, body);
    } catch (e) {
      if (!/answer again with scope/.test(e.message)) return;
      const all = confirm(e.message + "\n\nOK: name the whole group. Cancel: only this face.");
      res = await call("POST", `/v1/faces/${faceId}/answer`, Object.assign({}, body, { scope: all ? "person" : "face" }));
    }
    undoToast(text + (res && res.named_faces > 1 ? ` (${res.named_faces} faces)` : ""), res && res.action_id);
    setTimeout(() => location.reload(), 1500);
  }
  document.querySelectorAll("form.label-form").forEach((f) => f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const name = f.querySelector("input").value.trim();
    if (!name) return;
    await answer(f.dataset.faceId, { answer: "name", name }, "Thanks — " + name);
  }));
  document.querySelectorAll("button.answer-yes").forEach((b) => b.addEventListener("click", () =>
    answer(b.dataset.faceId, { answer: "yes", person_id: parseInt(b.dataset.personId, 10) }, "Thanks")));
  document.querySelectorAll("button.answer-no").forEach((b) => b.addEventListener("click", () =>
    answer(b.dataset.faceId, { answer: "no", person_id: parseInt(b.dataset.personId, 10) }, "Noted: not them")));
  document.querySelectorAll("button.answer-skip").forEach((b) => b.addEventListener("click", () =>
    answer(b.dataset.faceId, { answer: "skip" }, "Skipped")));
  document.querySelectorAll("button.undo").forEach((b) => b.addEventListener("click", async () => {
    await call("POST", `/v1/actions/${b.dataset.actionId}/undo`);
    toast("Undone"); setTimeout(() => location.reload(), 600);
  }));
  document.querySelectorAll("button.hide-person").forEach((b) => b.addEventListener("click", async () => {
    const res = await call("POST", `/v1/people/${b.dataset.personId}/${b.dataset.hidden === "1" ? "unhide" : "hide"}`);
    toast(res.state === "hidden" ? "Hidden" : "Shown"); setTimeout(() => location.reload(), 600);
  }));
  document.querySelectorAll("button.delete-person").forEach((b) => b.addEventListener("click", async () => {
    if (!confirm("Delete this person? Their faces are released and never rejoin them (History can undo it).")) return;
    await call("DELETE", `/v1/people/${b.dataset.personId}`);
    location.href = "/";
  }));
  const keyForm = document.getElementById("key-form");
  if (keyForm) keyForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const k = document.getElementById("key-input").value.trim();
    localStorage.setItem("faceatlas_key", k);
    document.cookie = "faceatlas_key=" + encodeURIComponent(k) + "; path=/; SameSite=Strict";
    location.reload();
  });
})();
