/// The UI's stylesheet and script, served from `/static/` (no CDN, no build step).
enum Assets {
    static let css = """
        :root { --fg: #1d2330; --muted: #667085; --line: #d0d5dd; --accent: #2457c5; --bad: #b42318; --warn: #b54708; --ok: #067647; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.5 system-ui, "PingFang SC", "Noto Sans CJK SC", sans-serif; color: var(--fg); background: #f7f8fa; }
        header { display: flex; gap: 1rem; align-items: center; padding: .6rem 1.2rem; background: #fff; border-bottom: 1px solid var(--line); }
        header nav { display: flex; gap: .8rem; flex: 1; }
        header .brand { font-weight: 700; text-decoration: none; color: var(--fg); }
        a { color: var(--accent); }
        main { max-width: 1100px; margin: 1rem auto; padding: 0 1rem; }
        table { width: 100%; border-collapse: collapse; background: #fff; }
        th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); }
        .badge { display: inline-block; padding: 0 .45rem; border-radius: .6rem; font-size: .8rem; background: #eef2f6; }
        .badge.breached { background: #fee4e2; color: var(--bad); }
        .badge.at-risk { background: #fef0c7; color: var(--warn); }
        .badge.met, .badge.on-track { background: #dcfae6; color: var(--ok); }
        .card, form.card { background: #fff; padding: 1rem; border: 1px solid var(--line); border-radius: .5rem; max-width: 520px; }
        form label { display: block; margin: .4rem 0; }
        input, select, textarea { font: inherit; padding: .3rem; width: 100%; }
        button { font: inherit; padding: .3rem .9rem; cursor: pointer; }
        form.inline { display: inline; }
        .actions form { background: #fff; border: 1px solid var(--line); padding: .6rem; margin: .5rem 0; border-radius: .4rem; }
        .flash { background: #fee4e2; color: var(--bad); padding: .5rem .8rem; border-radius: .4rem; }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
        .facts dt { color: var(--muted); }
        #progress li { margin: .3rem 0; }
        #progress .note { color: var(--muted); }
        #progress .kind { font-size: .8rem; color: var(--muted); }
        .conflict { background: #fffaeb; padding: .4rem; border-left: 3px solid var(--warn); margin: .3rem 0; }
        form.filters { display: flex; flex-wrap: wrap; gap: .4rem .8rem; align-items: end; background: #fff; padding: .6rem; border: 1px solid var(--line); border-radius: .4rem; margin-bottom: .6rem; }
        form.filters label { margin: 0; } form.filters input, form.filters select { width: auto; min-width: 7rem; }
        #filter-q { min-width: 16rem; }
        .views { margin: .4rem 0 .8rem; } .views .view { margin-right: .6rem; } .views input { width: auto; }
        .view-delete { padding: 0 .3rem; border: none; background: none; color: var(--muted); }
        fieldset.bulk { background: #fff; border: 1px solid var(--line); border-radius: .4rem; margin-top: .6rem; }
        fieldset.bulk label { display: inline-block; margin: 0 .3rem 0 0; }
        fieldset.bulk input, fieldset.bulk select { width: auto; } input[type=checkbox], input[type=radio] { width: auto; }
        #sla-levels, #sla-knobs { width: auto; } #sla-levels input, #sla-knobs input, #sla-knobs select { width: 7rem; } .shown { color: var(--muted); margin-left: .4rem; }
        .left { color: var(--muted); font-size: .85rem; } .bulk-result.failed { color: var(--bad); } .bulk-result td:not(.reason) { white-space: nowrap; }
        th a.sort { color: inherit; }
        """

    static let js = """
        // Marks relative due times and stops double submission; the pages work without it.
        document.querySelectorAll('form').forEach(function (form) {
          form.addEventListener('submit', function () {
            form.querySelectorAll('button').forEach(function (b) { setTimeout(function () { b.disabled = true; }, 0); });
          });
        });
        var all = document.getElementById('select-all');
        if (all) {
          all.addEventListener('change', function () {
            document.querySelectorAll('input.pick').forEach(function (box) { box.checked = all.checked; });
          });
        }
        document.querySelectorAll('tr[data-due]').forEach(function (row) {
          var due = Number(row.getAttribute('data-due'));
          if (due > 0) { row.title = Math.round((due - Date.now()) / 60000) + ' min'; }
        });
        """
}
