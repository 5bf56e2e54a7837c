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
  const merge = document.getElementById("merge-form");
  if (merge) merge.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const other = parseInt(document.getElementById("merge-select").value, 10);
    await call("POST", `/v1/people/${merge.dataset.personId}/merge`, { other });
    location.reload();
  });
  document.querySelectorAll("button.reject").forEach((b) => b.addEventListener("click", async () => {
    await call("POST", `/v1/faces/${b.dataset.faceId}/reject`);
    b.closest(".face-card").remove(); toast("Removed from this person");
  }));
  document.querySelectorAll("select.move").forEach((s) => s.addEventListener("change", async () => {
    if (!s.value) return;
    await call("POST", `/v1/faces/${s.dataset.faceId}/move`, { person_id: parseInt(s.value, 10) });
    s.closest(".face-card").remove(); toast("Moved");
  }));
  document.querySelectorAll("form.label-form").forEach((f) => f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const name = f.querySelector("input").value.trim();
    if (!name) return;
    await call("POST", `/v1/faces/${f.dataset.faceId}/label`, { name });
    f.closest(".face-card").remove(); toast("Thanks — " + name);
  }));
  document.querySelectorAll("button.accept-name").forEach((b) => b.addEventListener("click", async () => {
    await call("PATCH", `/v1/people/${b.dataset.personId}`, { name: b.dataset.name });
    b.closest(".face-card").remove(); toast("Named " + b.dataset.name);
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
