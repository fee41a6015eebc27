// The one browser script of the web UI, served at PASSKEY_SCRIPT_PATH: the passkey (WebAuthn) ceremonies
// for enrolling, signing in, approving and rejecting. Plain ES2020, no build step, no framework. It finds
// its controls by data- attributes the pages render:
//
//   [data-signet-action="enrol"][data-invite]                      a button (enrol page)
//   [data-signet-action="signin"]                                  a button (sign-in page)
//   [data-signet-action="approve"][data-draft][data-view][data-rp-id]  a button (review page)
//   [data-signet-action="reject"][data-draft][data-view][data-rp-id]   a form with textarea[name=reason]
//   #signet-status                                                 an aria-live region for progress and errors
//
// The controls are rendered disabled and enabled here once passkeys are known to work. Server data is
// only ever written with textContent. Before signing, the script checks that the statement the server
// asks it to sign is about the draft and the view digest shown on the page, and that the challenge is
// the SHA-256 digest of that statement's canonical JSON (RFC 8785): a passkey signature can then only
// ever cover what the page shows.
//
// The string holds no backtick and no "${": it is a template literal in TypeScript.
export const PASSKEY_CLIENT_JS = `// Signet passkey client (ES2020, no dependencies). Source: src/server/pages/passkey-client.ts
(function () {
  'use strict';

  var STATUS_ID = 'signet-status';
  var CEREMONY_TIMEOUT_MS = 300000;

  function ClientError(message) {
    this.name = 'ClientError';
    this.message = message;
  }
  ClientError.prototype = Object.create(Error.prototype);
  ClientError.prototype.constructor = ClientError;

  // ---- Reporting: textContent only, never markup ----

  function say(message, kind) {
    var region = document.getElementById(STATUS_ID);
    if (!region) return;
    region.textContent = message;
    region.setAttribute('data-kind', kind || 'info');
  }

  function messageOf(error) {
    if (error instanceof ClientError) return error.message;
    var name = error && error.name;
    if (name === 'NotAllowedError') return 'The passkey request was cancelled or timed out. Nothing was signed.';
    if (name === 'InvalidStateError') return 'This authenticator already holds a passkey for this account.';
    if (name === 'SecurityError') return 'The passkey cannot be used on this address (the site and its relying party id do not match).';
    if (name === 'AbortError') return 'The passkey request was interrupted. Nothing was signed.';
    if (name === 'NotSupportedError') return 'This authenticator does not support what Signet needs (user verification and a supported algorithm).';
    return 'Something went wrong: ' + String((error && error.message) || error);
  }

  // ---- base64url (RFC 4648 section 5, no padding), as WebAuthn's JSON forms spell bytes ----

  function toBase64Url(buffer) {
    var bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
    var binary = '';
    for (var i = 0; i < bytes.length; i += 1) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  }

  function fromBase64Url(text, what) {
    if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
      throw new ClientError('The server sent a malformed ' + what + '.');
    }
    var base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  // ---- HTTP: same-origin JSON ----

  function request(method, url, body) {
    var init = {
      method: method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    return fetch(url, init).then(
      function (response) {
        return response.text().then(function (text) {
          var data = null;
          if (text) {
            try {
              data = JSON.parse(text);
            } catch (e) {
              data = null;
            }
          }
          if (!response.ok) {
            throw new ClientError(errorMessage(data) || 'The server answered ' + response.status + '.');
          }
          return data;
        });
      },
      function () {
        throw new ClientError('The server could not be reached. Check the connection and try again.');
      },
    );
  }

  // Signet's JSON errors: { error: { code, message } } or { code, message }.
  function errorMessage(data) {
    if (!data || typeof data !== 'object') return undefined;
    var inner = data.error && typeof data.error === 'object' ? data.error : data;
    if (typeof inner.message === 'string' && inner.message) return inner.message;
    if (typeof data.error === 'string' && data.error) return data.error;
    return undefined;
  }

  function optionsOf(data) {
    if (!data || typeof data !== 'object') throw new ClientError('The server sent no passkey options.');
    return data.options && typeof data.options === 'object' ? data.options : data;
  }

  // ---- WebAuthn options: JSON form to the binary form navigator.credentials takes ----

  function descriptor(item) {
    var out = { type: item.type || 'public-key', id: fromBase64Url(item.id || item.credentialId, 'credential id') };
    if (Array.isArray(item.transports)) out.transports = item.transports;
    return out;
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = fromBase64Url(json.challenge, 'challenge');
    if (!json.user || typeof json.user !== 'object') throw new ClientError('The server sent no user for the passkey.');
    options.user = Object.assign({}, json.user, { id: fromBase64Url(json.user.id, 'user handle') });
    if (Array.isArray(json.excludeCredentials)) options.excludeCredentials = json.excludeCredentials.map(descriptor);
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = fromBase64Url(json.challenge, 'challenge');
    if (Array.isArray(json.allowCredentials)) options.allowCredentials = json.allowCredentials.map(descriptor);
    return options;
  }

  // ---- A PublicKeyCredential to its WebAuthn JSON form (L3 toJSON), bytes as base64url ----

  function credentialJSON(credential) {
    if (!credential) throw new ClientError('No passkey was used.');
    var r = credential.response;
    var response = { clientDataJSON: toBase64Url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toBase64Url(r.attestationObject);
      if (typeof r.getAuthenticatorData === 'function') response.authenticatorData = toBase64Url(r.getAuthenticatorData());
      if (typeof r.getTransports === 'function') response.transports = r.getTransports();
      if (typeof r.getPublicKeyAlgorithm === 'function') response.publicKeyAlgorithm = r.getPublicKeyAlgorithm();
      if (typeof r.getPublicKey === 'function') {
        var publicKey = r.getPublicKey();
        if (publicKey) response.publicKey = toBase64Url(publicKey);
      }
    } else {
      response.authenticatorData = toBase64Url(r.authenticatorData);
      response.signature = toBase64Url(r.signature);
      if (r.userHandle) response.userHandle = toBase64Url(r.userHandle);
    }
    var out = {
      id: credential.id,
      rawId: toBase64Url(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults:
        typeof credential.getClientExtensionResults === 'function' ? credential.getClientExtensionResults() : {},
    };
    if (credential.authenticatorAttachment) out.authenticatorAttachment = credential.authenticatorAttachment;
    return out;
  }

  // ---- The statement to sign must be about what the page shows ----

  // RFC 8785 for JSON values: keys sorted by UTF-16 code units (Array#sort's default), strings and
  // numbers exactly as JSON.stringify writes them (RFC 8785 section 3.2.2 adopts ECMAScript's forms).
  function canonicalJSON(value) {
    if (Array.isArray(value)) return '[' + value.map(canonicalJSON).join(',') + ']';
    if (value !== null && typeof value === 'object') {
      return (
        '{' +
        Object.keys(value)
          .sort()
          .map(function (key) {
            return JSON.stringify(key) + ':' + canonicalJSON(value[key]);
          })
          .join(',') +
        '}'
      );
    }
    return JSON.stringify(value);
  }

  function checkStatement(data, expected) {
    if (!data || typeof data !== 'object' || !data.statement || typeof data.statement !== 'object') {
      throw new ClientError('The server sent no statement to sign.');
    }
    var statement = data.statement;
    // A rejection is an action statement: what it is about is in its predicate.
    var about =
      statement.kind === 'rejection' && statement.predicate && typeof statement.predicate === 'object'
        ? { decision: 'reject', draft: statement.predicate.draft, view: statement.predicate.view }
        : statement;
    if (about.decision !== expected.decision || about.draft !== expected.draft || about.view !== expected.view) {
      throw new ClientError(
        'The statement to sign is not about the review document shown on this page. Nothing was signed; reload the page.',
      );
    }
    if (!window.crypto || !window.crypto.subtle) throw new ClientError('This page is not in a secure context.');
    var bytes = new TextEncoder().encode(canonicalJSON(statement));
    return window.crypto.subtle.digest('SHA-256', bytes).then(function (digest) {
      if (toBase64Url(digest) !== data.challenge) {
        throw new ClientError('The challenge is not the digest of the statement to sign. Nothing was signed.');
      }
      return { statement: statement, challenge: data.challenge };
    });
  }

  function allowedCredentials() {
    return request('POST', '/auth/credentials', {}).then(function (data) {
      var list = Array.isArray(data) ? data : data && (data.allowCredentials || data.credentials);
      return Array.isArray(list) ? list.map(descriptor) : [];
    });
  }

  function sign(challenge, rpId, allowCredentials) {
    var publicKey = {
      challenge: fromBase64Url(challenge, 'challenge'),
      allowCredentials: allowCredentials,
      userVerification: 'required',
      timeout: CEREMONY_TIMEOUT_MS,
    };
    if (rpId) publicKey.rpId = rpId;
    return navigator.credentials.get({ publicKey: publicKey });
  }

  function draftUrl(draft, rest) {
    return '/v1/drafts/' + encodeURIComponent(draft) + '/' + rest;
  }

  // ---- The ceremonies ----

  function enrol(control) {
    // The invite travels in the link's fragment, which browsers never send to a server.
    var invite = control.getAttribute('data-invite') || (window.location.hash || '').replace(/^#/, '');
    say('Asking the server for passkey options…');
    return request('POST', '/auth/enrol/options', { invite: invite })
      .then(function (data) {
        say('Create the passkey with your device…');
        return navigator.credentials.create({ publicKey: creationOptions(optionsOf(data)) });
      })
      .then(function (credential) {
        say('Checking the new passkey…');
        return request('POST', '/auth/enrol/verify', { invite: invite, response: credentialJSON(credential) });
      })
      .then(function () {
        say('Your passkey is enrolled. Opening Signet…');
        window.location.assign('/');
      });
  }

  // The next page after signing in: a path on this origin, never another site.
  function nextLocation() {
    var next = new URLSearchParams(window.location.search).get('next');
    if (next && /^\\/(?![\\/\\\\])/.test(next)) {
      try {
        var url = new URL(next, window.location.origin);
        if (url.origin === window.location.origin) return url.href;
      } catch (e) {
        // fall through
      }
    }
    return '/inbox';
  }

  function signIn() {
    say('Asking the server for a challenge…');
    return request('POST', '/auth/signin/options', {})
      .then(function (data) {
        say('Confirm with your passkey…');
        return navigator.credentials.get({ publicKey: requestOptions(optionsOf(data)) });
      })
      .then(function (credential) {
        say('Checking…');
        return request('POST', '/auth/signin/verify', { response: credentialJSON(credential) });
      })
      .then(function () {
        say('Signed in.');
        window.location.assign(nextLocation());
      });
  }

  function decide(control, decision, reason) {
    var draft = control.getAttribute('data-draft') || '';
    var expected = { decision: decision, draft: draft, view: control.getAttribute('data-view') || '' };
    var rpId = control.getAttribute('data-rp-id') || '';
    var statementRequest =
      decision === 'approve'
        ? request('GET', draftUrl(draft, 'approval-statement'))
        : request('POST', draftUrl(draft, 'rejection-statement'), { reason: reason });
    var signed;
    say('Preparing the statement to sign…');
    return statementRequest
      .then(function (data) {
        return checkStatement(data, expected);
      })
      .then(function (checked) {
        signed = checked;
        return allowedCredentials();
      })
      .then(function (allow) {
        say('Confirm with your passkey: you are signing "' + decision + '" on the review document ' + expected.view + '.');
        return sign(signed.challenge, rpId, allow);
      })
      .then(function (credential) {
        say('Submitting your signature…');
        var path = decision === 'approve' ? 'passkey-approvals' : 'passkey-rejections';
        return request('POST', draftUrl(draft, path), { statement: signed.statement, response: credentialJSON(credential) });
      })
      .then(function () {
        say(decision === 'approve' ? 'Approved. Reloading…' : 'Rejected. Reloading…');
        window.location.reload();
      });
  }

  // ---- Wiring ----

  var busy = false;

  function controlsOf(element) {
    if (element.tagName === 'FORM') return Array.prototype.slice.call(element.querySelectorAll('button, textarea'));
    return [element];
  }

  function allControls() {
    var out = [];
    var elements = document.querySelectorAll('[data-signet-action]');
    for (var i = 0; i < elements.length; i += 1) out = out.concat(controlsOf(elements[i]));
    return out;
  }

  function setDisabled(disabled) {
    allControls().forEach(function (control) {
      if (control.tagName === 'TEXTAREA') control.readOnly = disabled;
      else control.disabled = disabled;
    });
  }

  function run(task) {
    if (busy) return;
    busy = true;
    setDisabled(true);
    var done;
    try {
      done = Promise.resolve(task());
    } catch (error) {
      done = Promise.reject(error);
    }
    done.then(
      function () {
        busy = false;
      },
      function (error) {
        busy = false;
        setDisabled(false);
        say(messageOf(error), 'error');
      },
    );
  }

  function wire(element) {
    var action = element.getAttribute('data-signet-action');
    if (action === 'enrol') {
      element.addEventListener('click', function () {
        run(function () {
          return enrol(element);
        });
      });
    } else if (action === 'signin') {
      element.addEventListener('click', function () {
        run(signIn);
      });
    } else if (action === 'approve') {
      element.addEventListener('click', function () {
        run(function () {
          return decide(element, 'approve');
        });
      });
    } else if (action === 'reject') {
      element.addEventListener('submit', function (event) {
        event.preventDefault();
        var field = element.querySelector('textarea[name="reason"]');
        var reason = field ? field.value.trim() : '';
        if (!reason) {
          say('Give a reason for rejecting.', 'error');
          if (field) field.focus();
          return;
        }
        run(function () {
          return decide(element, 'reject', reason);
        });
      });
    }
  }

  function start() {
    var elements = document.querySelectorAll('[data-signet-action]');
    if (elements.length === 0) return;
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say('This browser cannot use passkeys. Use a current browser, on a secure (https) address.', 'error');
      return;
    }
    for (var i = 0; i < elements.length; i += 1) wire(elements[i]);
    setDisabled(false);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
`;
