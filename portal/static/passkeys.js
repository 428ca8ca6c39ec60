// Passkeys (WebAuthn) for the workspace's second factor: the browser's half of the ceremony.
// No inline script (CSP script-src 'self'). Without JavaScript, or in a browser without WebAuthn,
// the passkey box stays hidden and its note says that codes work instead.
(function () {
  "use strict";

  function toBytes(text) {
    var base = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base.length % 4) { base += "="; }
    var raw = atob(base);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i += 1) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decode(options) {
    options.challenge = toBytes(options.challenge);
    if (options.user) { options.user.id = toBytes(options.user.id); }
    ["excludeCredentials", "allowCredentials"].forEach(function (name) {
      (options[name] || []).forEach(function (item) { item.id = toBytes(item.id); });
    });
    return options;
  }

  function encode(credential) {
    var response = credential.response;
    var out = { id: credential.id, rawId: toText(credential.rawId), type: credential.type,
                clientExtensionResults: credential.getClientExtensionResults(), response: {
                  clientDataJSON: toText(response.clientDataJSON) } };
    if (credential.authenticatorAttachment) { out.authenticatorAttachment = credential.authenticatorAttachment; }
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      if (response.getTransports) { out.response.transports = response.getTransports(); }
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      if (response.userHandle) { out.response.userHandle = toText(response.userHandle); }
    }
    return JSON.stringify(out);
  }

  function say(form, message) {
    var status = form.querySelector("[data-passkey-status]");
    if (status) { status.textContent = message; }
  }

  function ceremony(form) {
    var token = form.querySelector("input[name=csrf_token]");
    var body = new FormData();
    if (token) { body.append("csrf_token", token.value); }
    say(form, form.getAttribute("data-msg-waiting"));
    fetch(form.getAttribute("data-options"), { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (value) {
          if (!response.ok) { throw new Error(value.error || response.status); }
          return value;
        });
      })
      .then(function (options) {
        var publicKey = decode(options);
        return form.getAttribute("data-passkey") === "create"
          ? navigator.credentials.create({ publicKey: publicKey })
          : navigator.credentials.get({ publicKey: publicKey });
      })
      .then(function (credential) {
        form.querySelector("input[name=credential]").value = encode(credential);
        HTMLFormElement.prototype.submit.call(form);
      })
      .catch(function (error) {
        say(form, form.getAttribute("data-msg-failed") + (error && error.message ? " (" + error.message + ")" : ""));
      });
  }

  function start() {
    var able = !!(window.PublicKeyCredential && navigator.credentials && window.fetch);
    Array.prototype.forEach.call(document.querySelectorAll("[data-passkey-box]"), function (box) {
      box.hidden = !able;
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-passkey-nojs]"), function (note) {
      note.hidden = able;
    });
    if (!able) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("form[data-passkey]"), function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        ceremony(form);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
