// Progressive enhancement for the submit and edit forms; everything works without it.
// - Live brand-guideline check while typing (POST /api/v1/guidelines/check).
// - Autosave of drafts on the edit form (PATCH /api/v1/submissions/{id} with the version it
//   was based on; a conflict is shown, never overwritten).
(function () {
  "use strict";
  var form = document.getElementById("submit-form") || document.getElementById("edit-form");
  if (!form) return;
  var csrf = form.querySelector("input[name=csrf]").value;
  var body = form.querySelector("[data-guidelines]");
  var live = document.getElementById("guideline-live");
  function networks() {
    var picked = [];
    form.querySelectorAll("input[name=channels]:checked").forEach(function (c) {
      if (c.value !== "blog") picked.push(c.value);
    });
    return picked.length ? picked : ["x", "bluesky", "linkedin"];
  }
  function render(report) {
    live.textContent = "";
    Object.keys(report.networks).forEach(function (n) {
      var r = report.networks[n];
      var span = document.createElement("span");
      span.className = r.fits ? "fits" : "too-long";
      span.textContent = n + ": " + r.length + "/" + r.limit + "  ";
      live.appendChild(span);
    });
    report.findings.forEach(function (f) {
      var p = document.createElement("p");
      p.className = "finding-" + f.severity;
      p.textContent = f.severity + ": " + f.message;
      live.appendChild(p);
    });
  }
  var timer = null;
  function check() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch("/api/v1/guidelines/check", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ text: body.value, networks: networks() }),
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (j) { if (j) render(j); });
    }, 250);
  }
  if (body && live) {
    body.addEventListener("input", check);
    form.addEventListener("change", check);
    check();
  }
  var target = form.getAttribute("data-autosave");
  var status = document.getElementById("autosave-status");
  if (target && status) {
    var version = form.querySelector("input[name=version]");
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    setInterval(function () {
      if (!dirty) return;
      dirty = false;
      var payload = {
        version: parseInt(version.value, 10),
        title: form.querySelector("[name=title]").value,
        body: body.value,
      };
      fetch(target, {
        method: "PATCH",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(payload),
      }).then(function (r) {
        return r.json().then(function (j) {
          if (r.ok) {
            version.value = j.version;
            status.textContent = "Draft saved.";
          } else if (j.code === "changed") {
            status.textContent = "Someone else saved a newer version. Save to compare both.";
          } else {
            status.textContent = j.detail || "Not saved.";
          }
        });
      });
    }, 5000);
  }
})();
