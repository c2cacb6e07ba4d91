// Passkeys on the console: an enhancement only. Without this script, or in a browser without
// WebAuthn's JSON methods, the boxes stay hidden and passwords work as before.
(function () {
  "use strict";
  var pk = window.PublicKeyCredential;
  if (!pk || !pk.parseCreationOptionsFromJSON || !pk.parseRequestOptionsFromJSON) return;

  function post(url, token, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.error);
        return data;
      });
    });
  }

  document.querySelectorAll("[data-passkey]").forEach(function (box) {
    var button = box.querySelector("button");
    var status = box.querySelector("[role=status]");
    var token = box.getAttribute("data-csrf");
    var register = box.getAttribute("data-passkey") === "register";
    box.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = "";
      button.disabled = true;
      post(box.getAttribute("data-options"), token)
        .then(function (options) {
          return register
            ? navigator.credentials.create({ publicKey: pk.parseCreationOptionsFromJSON(options) })
            : navigator.credentials.get({ publicKey: pk.parseRequestOptionsFromJSON(options) });
        })
        .then(function (credential) {
          return post(box.getAttribute("data-action"), token, credential.toJSON());
        })
        .then(function (result) {
          window.location.assign(result.next);
        })
        .catch(function (error) {
          // A server's refusal says why; the browser's (cancelled, no passkey) gets our words.
          status.textContent = error instanceof DOMException || !error.message
            ? box.getAttribute("data-failed")
            : error.message;
          button.disabled = false;
        });
    });
  });
})();
