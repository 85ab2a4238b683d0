(function () {
  'use strict';
  // Sorting and filtering of the blocked-call table. Everything it shows is already in the page
  // (rendered and escaped by the report writer); this script only hides and reorders rows, and
  // reads its state from and writes it to the URL (#agent=NAME&family=net&outcome=blocked&q=TEXT;
  // ?agent=... works too), so a filtered view can be shared as a link.
  var table = document.getElementById('calls-table');
  var status = document.getElementById('js-status');
  if (!table) {
    document.documentElement.setAttribute('data-report-ready', 'yes');
    return;
  }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var controls = {
    q: document.getElementById('f-q'),
    agent: document.getElementById('f-agent'),
    family: document.getElementById('f-family'),
    outcome: document.getElementById('f-outcome')
  };
  var shown = document.getElementById('shown');
  var none = document.getElementById('no-rows');

  function fromUrl() {
    var s = location.search.replace(/^\?/, '');
    var h = location.hash.replace(/^#/, '');
    return new URLSearchParams(s + (s && h ? '&' : '') + h);
  }

  function choose(select, value) {
    if (!value) {
      select.value = '';
      return;
    }
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) {
        select.value = value;
        return;
      }
    }
    // asked for a value no row has: keep it (and show nothing) rather than silently showing everything
    var o = document.createElement('option');
    o.value = value;
    o.textContent = value + ' (no rows)';
    select.appendChild(o);
    select.value = value;
  }

  function apply(writeUrl) {
    var text = controls.q.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (r) {
      var ok = (!controls.agent.value || r.getAttribute('data-agent') === controls.agent.value)
        && (!controls.family.value || r.getAttribute('data-family') === controls.family.value)
        && (!controls.outcome.value || r.getAttribute('data-outcome') === controls.outcome.value)
        && (!text || r.textContent.toLowerCase().indexOf(text) >= 0);
      r.hidden = !ok;
      if (ok) {
        n++;
      }
    });
    shown.textContent = n + ' of ' + rows.length + ' shown';
    none.hidden = n > 0 || rows.length === 0;
    if (writeUrl) {
      var p = new URLSearchParams();
      ['agent', 'family', 'outcome'].forEach(function (k) {
        if (controls[k].value) {
          p.set(k, controls[k].value);
        }
      });
      if (controls.q.value.trim()) {
        p.set('q', controls.q.value.trim());
      }
      var hash = p.toString();
      try {
        history.replaceState(null, '', location.pathname + (hash ? '#' + hash : ''));
      } catch (e) {
        // some viewers forbid it; the filters still work
      }
    }
  }

  function load() {
    var p = fromUrl();
    choose(controls.agent, p.get('agent'));
    choose(controls.family, p.get('family'));
    choose(controls.outcome, p.get('outcome'));
    controls.q.value = p.get('q') || '';
    apply(false);
  }

  function key(row, col, numeric) {
    var cell = row.cells[col];
    var k = cell.getAttribute('data-key');
    if (k === null) {
      k = cell.textContent.trim();
    }
    return numeric ? Number(k) : k.toLowerCase();
  }

  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  headers.forEach(function (th, col) {
    if (!th.hasAttribute('data-sort')) {
      return;
    }
    th.tabIndex = 0;
    function sort() {
      var asc = th.getAttribute('aria-sort') !== 'ascending';
      var numeric = th.getAttribute('data-sort') === 'num';
      headers.forEach(function (h) {
        h.removeAttribute('aria-sort');
      });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      rows.sort(function (a, b) {
        var x = key(a, col, numeric);
        var y = key(b, col, numeric);
        var c = x < y ? -1 : x > y ? 1 : 0;
        return asc ? c : -c;
      });
      rows.forEach(function (r) {
        body.appendChild(r);
      });
    }
    th.addEventListener('click', sort);
    th.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        sort();
      }
    });
  });

  controls.q.addEventListener('input', function () { apply(true); });
  ['agent', 'family', 'outcome'].forEach(function (k) {
    controls[k].addEventListener('change', function () { apply(true); });
  });
  window.addEventListener('hashchange', load);
  load();
  status.textContent = 'Sorting and filters are on: click a column to sort; filters are kept in the address (#agent=...&family=...).';
  document.documentElement.setAttribute('data-report-ready', 'yes');
})();
