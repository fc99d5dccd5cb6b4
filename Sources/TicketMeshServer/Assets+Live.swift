extension Assets {
    /// Styles of the live and admin pages (`/static/live.css`).
    static let liveCSS = """
        .presence { color: var(--muted); margin: .3rem 0; }
        .presence .viewer { display: inline-block; padding: 0 .45rem; border-radius: .6rem; background: #eef4ff; color: var(--accent); }
        .presence .viewer.typing { background: #fef0c7; color: var(--warn); }
        #canned { background: #f7f8fa; padding: .4rem; border-radius: .3rem; margin-bottom: .4rem; }
        #canned-results li { margin: .2rem 0; }
        #canned-results li.used { color: var(--ok); }
        .conflict-review { background: #fff; border: 1px solid var(--line); border-radius: .5rem; padding: .6rem 1rem; margin: .8rem 0; }
        .conflict-review .sides { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
        .conflict-review .side { padding: .5rem; border-radius: .4rem; }
        .conflict-review .side.winner { background: #ecfdf3; }
        .conflict-review .side.loser { background: #fffaeb; }
        .conflict-review .value { font-size: 1.1rem; font-weight: 600; }
        .meta { color: var(--muted); font-size: .85rem; }
        #types tr.subtype td:first-child { padding-left: 1.8rem; }
        """

    /// The live pages' script (`/static/live.js`, Docs/web.md "Live updates"): listens to the page's
    /// event stream, re-reads the page on each commit and swaps in the parts that changed (the queue
    /// rows; the ticket's facts, clocks, log and conflicts), shows presence, flags typing, and runs the
    /// canned-answer search. Without it the pages work as plain forms; the server still guards stale replies.
    static let liveJS = """
        (function () {
          var live = document.getElementById('live');
          if (!live || !window.EventSource || !window.fetch) { return; }
          var meta = document.querySelector('meta[name="csrf-token"]');
          var csrf = meta ? meta.getAttribute('content') : '';
          var kind = live.getAttribute('data-kind');
          var busy = false, again = false;
          live.setAttribute('data-events', '0');

          function post(url, body) {
            return fetch(url, { method: 'POST', credentials: 'same-origin',
              headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': csrf }, body: body });
          }
          function swap(doc, selector) {
            var fresh = doc.querySelector(selector), old = document.querySelector(selector);
            if (fresh && old) { old.replaceWith(document.importNode(fresh, true)); }
          }
          function applyTicket(doc) {
            var next = doc.getElementById('live');
            if (!next) { return; }
            var version = next.getAttribute('data-version');
            if (version === live.getAttribute('data-version')) { return; }
            ['#ticket-facts', '#sla', '#progress', '#conflicts'].forEach(function (s) { swap(doc, s); });
            live.setAttribute('data-version', version);
            ['reply-form', 'note-form'].forEach(function (id) {
              var form = document.getElementById(id);
              if (!form) { return; }
              var field = form.querySelector('input[name="expectedVersion"]');
              var text = form.querySelector('textarea');
              // Text being written was written against the old version: keep it, so sending asks to confirm.
              if (text && text.value.trim() !== '') {
                document.getElementById('live-changed').hidden = false;
              } else if (field) {
                field.value = version;
              }
            });
          }
          function refresh() {
            if (busy) { again = true; return; }
            busy = true;
            fetch(location.href, { credentials: 'same-origin' }).then(function (r) { return r.text(); }).then(function (text) {
              var doc = new DOMParser().parseFromString(text, 'text/html');
              if (kind === 'queue') { swap(doc, '#queue tbody'); } else { applyTicket(doc); }
              live.setAttribute('data-refreshed', String(Date.now()));
            }).catch(function () {}).then(function () {
              busy = false;
              if (again) { again = false; refresh(); }
            });
          }
          var source = new EventSource(live.getAttribute('data-stream'));
          source.addEventListener('open', function () { live.setAttribute('data-connected', '1'); });
          source.addEventListener('error', function () { live.setAttribute('data-connected', '0'); });
          source.addEventListener('commit', function () {
            live.setAttribute('data-events', String(Number(live.getAttribute('data-events')) + 1));
            refresh();
          });
          if (kind !== 'ticket') { return; }

          var presence = document.getElementById('presence');
          source.addEventListener('presence', function (event) {
            var state = JSON.parse(event.data);
            presence.textContent = '';
            presence.hidden = state.viewers.length === 0;
            if (state.viewers.length === 0) { return; }
            var label = document.createElement('span');
            label.textContent = live.getAttribute('data-viewing') + ': ';
            presence.appendChild(label);
            state.viewers.forEach(function (name) {
              var who = document.createElement('span');
              who.className = 'viewer';
              who.setAttribute('data-user', name);
              who.textContent = name;
              if (state.typing.indexOf(name) >= 0) {
                who.className = 'viewer typing';
                who.textContent = name + ' ' + live.getAttribute('data-typing');
              }
              presence.appendChild(who);
              presence.appendChild(document.createTextNode(' '));
            });
          });

          var ticket = live.getAttribute('data-ticket');
          var reply = document.getElementById('reply-body');
          var sentAt = 0, typing = false;
          function flag(on) {
            if (on === typing && (!on || Date.now() - sentAt < 3000)) { return; }
            typing = on;
            sentAt = Date.now();
            post('/tickets/' + ticket + '/typing', 'typing=' + (on ? '1' : '0'));
          }
          if (reply) {
            reply.addEventListener('input', function () { flag(reply.value.trim() !== ''); });
            reply.addEventListener('blur', function () { flag(false); });
          }

          var canned = document.getElementById('canned');
          var query = document.getElementById('canned-q');
          var results = document.getElementById('canned-results');
          if (!canned || !reply) { return; }
          canned.hidden = false;
          function search() {
            var q = query.value.trim();
            if (q === '') { return; }
            fetch('/tickets/' + ticket + '/canned?q=' + encodeURIComponent(q), { credentials: 'same-origin' })
              .then(function (r) { return r.json(); }).then(function (answers) {
                results.textContent = '';
                if (!Array.isArray(answers) || answers.length === 0) {
                  var none = document.createElement('li');
                  none.id = 'canned-none';
                  none.textContent = live.getAttribute('data-none');
                  results.appendChild(none);
                  return;
                }
                answers.forEach(function (answer) {
                  var item = document.createElement('li');
                  item.className = 'canned-answer';
                  var title = document.createElement('b');
                  title.textContent = answer.title;
                  var body = document.createElement('span');
                  body.textContent = ' ' + answer.body + ' ';
                  var insert = document.createElement('button');
                  insert.type = 'button';
                  insert.className = 'canned-insert';
                  insert.setAttribute('data-article', answer.id);
                  insert.textContent = live.getAttribute('data-insert');
                  insert.addEventListener('click', function () {
                    var start = reply.selectionStart || reply.value.length, end = reply.selectionEnd || start;
                    reply.value = reply.value.slice(0, start) + answer.body + reply.value.slice(end);
                    reply.focus();
                    flag(true);
                    post('/tickets/' + ticket + '/canned/' + encodeURIComponent(answer.id), '').then(function (r) {
                      if (r.ok) { item.classList.add('used'); insert.textContent = live.getAttribute('data-used'); insert.disabled = true; }
                    });
                  });
                  item.appendChild(title);
                  item.appendChild(body);
                  item.appendChild(insert);
                  results.appendChild(item);
                });
              });
          }
          document.getElementById('canned-search').addEventListener('click', search);
          query.addEventListener('keydown', function (event) {
            if (event.key === 'Enter') { event.preventDefault(); search(); }
          });
        })();
        """
}
