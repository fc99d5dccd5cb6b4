/// The UI's mustache templates, each a page's content; `WebUI.page` wraps it in the layout.
/// The queue page is written in Swift (`WebUI.queuePage`, WebUI+Queue.swift): it is the page agents reload all day.
/// Every `method="post"` form carries the hidden `csrf` field (`CSRF`); a test checks that none lacks it.
enum Templates {
    static let all: [String: String] = [
        "login": login, "ticket": ticket, "newTicket": newTicket,
        "customers": customers, "customer": customer, "kb": kb, "site": site, "error": error,
        "reports": reports,
    ]

    static let login = """
        <h1>{{t.login}}</h1>
        <form method="post" action="/login" id="login-form" class="card"><input type="hidden" name="csrf" value="{{csrf}}">
        <label>{{t.user}} <input name="user" id="login-user" autocomplete="username" required></label>
        <label>{{t.password}} <input name="password" id="login-password" type="password" autocomplete="current-password" required></label>
        <button type="submit" id="login-submit">{{t.login}}</button></form>
        """

    static let newTicket = """
        <h1>{{t.newTicket}}</h1>
        <form method="post" action="/tickets" id="new-ticket" class="card"><input type="hidden" name="csrf" value="{{csrf}}">
        <label>{{t.customer}} <select name="customerId" id="new-customer">{{#customers}}<option value="{{id}}">{{id}} {{name}}</option>{{/customers}}</select></label>
        <label>{{t.channel}} <select name="channel" id="new-channel">{{#channels}}<option value="{{value}}">{{label}}</option>{{/channels}}</select></label>
        <label>{{t.type}} <select name="type" id="new-type">{{#types}}<option>{{.}}</option>{{/types}}</select></label>
        <label>{{t.urgency}} <select name="urgency" id="new-urgency">{{#urgencies}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/urgencies}}</select></label>
        <label>{{t.contact}} <input name="contactPerson" id="new-contact"></label>
        <label>{{t.summary}} <input name="summary" id="new-summary" required></label>
        <label>{{t.details}} <textarea name="details" id="new-details"></textarea></label>
        <button type="submit" id="new-submit">{{t.create}}</button></form>
        """

    static let ticket = """
        {{#ticket}}<h1 id="ticket-number">{{number}}</h1>{{#hasAliases}}<p id="ticket-aliases">{{t.aliases}}: {{aliases}}</p>{{/hasAliases}}
        <p class="summary" id="ticket-summary">{{summary}}</p>
        <dl class="facts" id="ticket-facts"><dt>{{t.state}}</dt><dd id="ticket-state" class="state" data-state="{{state}}">{{stateLabel}}</dd><dt>{{t.urgency}}</dt><dd>{{urgency}}</dd>
        <dt>{{t.customer}}</dt><dd><a href="/customers/{{customerId}}">{{customerId}}</a></dd><dt>{{t.channel}}</dt><dd>{{channel}}</dd>
        <dt>{{t.type}}</dt><dd>{{type}}</dd><dt>{{t.assignee}}</dt><dd>{{assignee}} {{#hasTier}}(T{{tier}}){{/hasTier}}</dd>
        <dt>{{t.registered}}</dt><dd id="ticket-registration">{{registeredAt}} · {{registrationMinutes}} / {{registrationTarget}} min <span class="badge {{registrationStatus}}">{{registrationLabel}}</span></dd>
        {{#hasResult}}<dt>{{t.result}}</dt><dd id="ticket-result">{{result}}</dd>{{/hasResult}}</dl>{{/ticket}}
        <div id="live" data-kind="ticket" data-stream="/tickets/{{id}}/live" data-ticket="{{id}}" data-version="{{version}}" data-viewing="{{t.viewing}}" data-typing="{{t.typing}}" data-off="{{t.liveOff}}" data-none="{{t.cannedNone}}" data-insert="{{t.cannedInsert}}" data-used="{{t.cannedUsed}}"><p id="presence" class="presence" hidden></p><p id="live-changed" class="flash" hidden>{{t.liveChanged}}</p></div>
        {{#canReveal}}<form method="post" action="/tickets/{{id}}/reveal" id="ticket-reveal-form"><input type="hidden" name="csrf" value="{{csrf}}"><button id="ticket-reveal-submit">{{t.reveal}}</button></form>{{/canReveal}}
        <section><h2>{{t.sla}}</h2><table id="sla"><thead><tr><th>{{t.clock}}</th><th>{{t.status}}</th><th>{{t.dueAt}}</th><th>{{t.remaining}}</th></tr></thead><tbody>
        {{#clocks}}<tr class="clock {{status}}"><td>{{kind}}</td><td><span class="badge {{status}}">{{statusLabel}}</span></td><td>{{due}}</td><td>{{remaining}}</td></tr>{{/clocks}}
        </tbody></table></section>
        <section><h2>{{t.progress}}</h2><ol id="progress">{{#entries}}<li class="entry {{kind}}"><time>{{at}}</time> <b>{{author}}</b> <span class="kind">{{kindLabel}}</span>{{#hasScore}} <span class="score">{{score}}/5</span>{{/hasScore}} <span class="body">{{body}}</span></li>{{/entries}}</ol></section>
        <section id="conflicts"><h2>{{t.conflicts}}</h2>{{#conflicts}}<div class="conflict"><b>{{field}}</b>: {{t.winner}} “{{winner}}” ({{winnerSite}}) · {{t.loser}} “{{loser}}” ({{loserSite}})</div>{{/conflicts}}{{^conflicts}}<p>{{t.noConflicts}}</p>{{/conflicts}}</section>
        <section class="actions"><h2>{{t.actions}}</h2>
        <form method="post" action="/tickets/{{id}}/reply" id="reply-form"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="expectedVersion" value="{{version}}"><div id="canned" hidden><label>{{t.canned}} <input id="canned-q" type="search"></label><button type="button" id="canned-search">{{t.cannedSearch}}</button><ul id="canned-results"></ul></div><label>{{t.reply}} <textarea name="body" id="reply-body" required></textarea></label><button id="reply-submit">{{t.send}}</button></form>
        <form method="post" action="/tickets/{{id}}/note" id="note-form"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="expectedVersion" value="{{version}}"><label>{{t.note}} <textarea name="body" id="note-body" required></textarea></label><button id="note-submit">{{t.add}}</button></form>
        <form method="post" action="/tickets/{{id}}/escalate" id="escalate-form"><input type="hidden" name="csrf" value="{{csrf}}"><label>{{t.tier}} <select name="tier" id="escalate-tier"><option>2</option><option>3</option></select></label>
        <label>{{t.reason}} <input name="reason" id="escalate-reason" required></label><button id="escalate-submit">{{t.escalate}}</button></form>
        <form method="post" action="/tickets/{{id}}/resolve" id="resolve-form"><input type="hidden" name="csrf" value="{{csrf}}"><label>{{t.result}} <input name="result" id="resolve-result" required></label><button id="resolve-submit">{{t.resolve}}</button></form>
        <form method="post" action="/tickets/{{id}}/rate" id="rate-form"><input type="hidden" name="csrf" value="{{csrf}}"><label>{{t.score}} <input name="score" id="rate-score" type="number" min="1" max="5" required></label>
        <label>{{t.comment}} <input name="comment" id="rate-comment"></label><button id="rate-submit">{{t.rate}}</button></form>
        <form method="post" action="/tickets/{{id}}/close" id="close-form"><input type="hidden" name="csrf" value="{{csrf}}"><button id="close-submit">{{t.close}}</button></form>
        </section>
        """

    static let customers = """
        <h1>{{t.customers}}</h1><table id="customers"><thead><tr><th>ID</th><th>{{t.name}}</th><th>{{t.phone}}</th><th>{{t.level}}</th></tr></thead><tbody>
        {{#customers}}<tr><td><a href="/customers/{{id}}">{{id}}</a></td><td>{{name}}</td><td class="phone">{{phone}}</td><td>{{level}}</td></tr>{{/customers}}
        {{^customers}}<tr><td colspan="4">{{t.empty}}</td></tr>{{/customers}}</tbody></table>
        """

    static let customer = """
        {{#customer}}<h1 id="customer-name">{{name}}</h1><dl class="facts"><dt>ID</dt><dd>{{id}}</dd><dt>{{t.contact}}</dt><dd>{{contactPerson}}</dd>
        <dt>{{t.phone}}</dt><dd id="customer-phone">{{phone}}</dd><dt>{{t.email}}</dt><dd>{{email}}</dd><dt>{{t.level}}</dt><dd>{{level}}</dd></dl>
        {{#canReveal}}<form method="post" action="/customers/{{id}}/reveal" id="reveal-form"><input type="hidden" name="csrf" value="{{csrf}}"><button id="reveal-submit">{{t.reveal}}</button></form>{{/canReveal}}{{/customer}}
        <h2>{{t.tickets}}</h2><ul id="customer-tickets">{{#tickets}}<li><a href="/tickets/{{id}}">{{number}}</a> {{summary}} <span class="state">{{state}}</span></li>{{/tickets}}</ul>
        """

    static let kb = """
        <h1>{{t.kb}}</h1><form method="get" action="/kb" id="kb-form"><input name="q" id="kb-q" value="{{query}}"><button id="kb-submit">{{t.search}}</button></form>
        {{#searched}}<ul id="kb-results">{{#articles}}<li class="article"><h3>{{title}}</h3><p class="meta">{{category}} · {{t.hits}} {{hits}}</p><p>{{body}}</p></li>{{/articles}}</ul>
        {{^articles}}<p id="kb-none">{{t.noResults}}</p>{{/articles}}{{/searched}}
        """

    static let site = """
        <h1>{{t.site}} <span id="site-code">{{site}}</span></h1><p>{{name}}</p>
        <dl class="facts"><dt>{{t.digest}}</dt><dd id="site-digest"><code>{{digest}}</code></dd><dt>{{t.changes}}</dt><dd>{{changes}}</dd><dt>{{t.tickets}}</dt><dd>{{tickets}}</dd></dl>
        <h2>{{t.vector}}</h2><table id="vector"><thead><tr><th>{{t.origin}}</th><th>{{t.seq}}</th></tr></thead><tbody>{{#vector}}<tr><td>{{site}}</td><td>{{seq}}</td></tr>{{/vector}}</tbody></table>
        <h2>{{t.peers}}</h2><table id="peers"><thead><tr><th>{{t.peer}}</th><th>{{t.lastSync}}</th><th>{{t.lag}}</th><th>{{t.lastError}}</th></tr></thead>
        <tbody>{{#peers}}<tr><td>{{peerSite}} ({{peer}})</td><td>{{lastSync}}</td><td>{{lag}}</td><td>{{lastError}}</td></tr>{{/peers}}{{^peers}}<tr><td colspan="4">{{t.noPeers}}</td></tr>{{/peers}}</tbody></table>
        <h2>{{t.automation}}</h2>{{#automation}}<dl class="facts" id="automation"><dt>{{t.lastRun}}</dt><dd id="automation-last">{{lastRun}}</dd><dt>{{t.nextRun}}</dt><dd id="automation-next">{{nextRun}}</dd>
        <dt>{{t.escalationsMade}}</dt><dd id="automation-escalations">{{escalations}}</dd><dt>{{t.notificationsSent}}</dt><dd>{{notifications}}</dd><dt>{{t.careTasksRaised}}</dt><dd id="automation-care">{{careTasks}}</dd>
        <dt>{{t.autoClosed}}</dt><dd id="automation-closed">{{closed}}</dd>{{#hasErrors}}<dt>{{t.runErrors}}</dt><dd class="error">{{errors}}</dd>{{/hasErrors}}<dt>{{t.autoCloseDays}}</dt><dd>{{autoCloseDays}}</dd>
        <dt>{{t.allRuns}}</dt><dd id="automation-totals">{{runs}} · {{t.escalationsMade}} {{totalEscalations}} · {{t.careTasksRaised}} {{totalCare}} · {{t.autoClosed}} {{totalClosed}}</dd></dl>{{/automation}}
        {{^automation}}<p id="automation-none">{{{t.noRun}}}</p>{{/automation}}
        {{#hasForks}}<h2>{{t.forks}}</h2><p>{{t.forksHelp}}</p><table id="forks"><thead><tr><th>{{t.origin}}</th><th>{{t.seq}}</th><th>{{t.refused}}</th><th>{{t.kept}}</th><th>{{t.state}}</th></tr></thead>
        <tbody>{{#forks}}<tr><td>{{origin}}</td><td>{{seqs}}</td><td><code>{{refused}}</code></td><td><code>{{kept}}</code></td><td>{{state}}</td></tr>{{/forks}}</tbody></table>{{/hasForks}}
        """

    /// A report with its SVG charts (from `ReportRenderer.charts`, already escaped SVG) and every figure.
    static let reports = """
        <h1>{{t.reports}}</h1>
        <form method="get" action="/reports" id="report-form" class="inline">
        <select name="kind" id="report-kind">{{#kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/kinds}}</select>
        <input type="date" name="from" id="report-from" value="{{from}}"> – <input type="date" name="to" id="report-to" value="{{to}}">
        <button id="report-run">{{t.search}}</button></form>
        <p id="report-period">{{period}}</p>
        <div class="charts" id="report-charts">{{#charts}}{{{svg}}}{{/charts}}</div>
        <table id="report-figures"><thead><tr><th>{{t.category}}</th><th>{{t.name}}</th><th>{{t.value}}</th></tr></thead>
        <tbody>{{#lines}}<tr><td>{{section}} {{key}}</td><td>{{metric}}</td><td>{{value}}</td></tr>{{/lines}}</tbody></table>
        """

    static let error = """
        <h1>{{status}}</h1><p id="error-message">{{message}}</p><p><a href="/queue">{{t.queue}}</a></p>
        """
}
