(function () {
  'use strict';
  var doc = document;
  doc.documentElement.classList.add('js');
  var table = doc.getElementById('instances');
  if (!table || !table.tBodies.length) { return; }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.querySelectorAll('tr.instance'));
  var filter = doc.getElementById('filter');
  var actionSelect = doc.getElementById('action-filter');
  var shown = doc.getElementById('shown-count');
  var noMatch = doc.getElementById('no-match');
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

  rows.forEach(function (row) {
    var text = row.textContent + ' ' + row.getAttribute('data-action') + ' ' + row.getAttribute('data-id');
    row.searchText = text.toLowerCase().replace(/\s+/g, ' ');
  });

  function matchesAction(row, action) {
    if (action === '') { return true; }
    if (action === 'candidate') { return row.getAttribute('data-candidate') === 'true'; }
    return row.getAttribute('data-action') === action;
  }

  function applyFilter() {
    var terms = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var action = actionSelect.value;
    var count = 0;
    rows.forEach(function (row) {
      var visible = matchesAction(row, action) && terms.every(function (t) {
        return row.searchText.indexOf(t) !== -1;
      });
      row.hidden = !visible;
      if (visible) { count++; }
    });
    shown.textContent = String(count);
    noMatch.hidden = count !== 0 || rows.length === 0;
  }

  function sortKey(row, index) {
    var cell = row.cells[index];
    var value = cell.getAttribute('data-sort');
    return (value === null ? cell.textContent : value).trim();
  }

  function sortBy(th, index) {
    var numeric = th.getAttribute('data-sort') === 'num';
    var direction = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', direction === 1 ? 'ascending' : 'descending');
    var keyed = rows.map(function (row, position) {
      return { row: row, key: sortKey(row, index), position: position };
    });
    keyed.sort(function (a, b) {
      var aEmpty = a.key === '', bEmpty = b.key === '';
      if (aEmpty || bEmpty) {
        return aEmpty === bEmpty ? a.position - b.position : (aEmpty ? 1 : -1);
      }
      var c = numeric ? Number(a.key) - Number(b.key) : collator.compare(a.key, b.key);
      return c !== 0 ? c * direction : a.position - b.position;
    });
    var fragment = doc.createDocumentFragment();
    rows = keyed.map(function (k) { fragment.appendChild(k.row); return k.row; });
    tbody.appendChild(fragment);
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    var button = th.querySelector('button');
    if (button && th.hasAttribute('data-sort')) {
      button.addEventListener('click', function () { sortBy(th, index); });
    }
  });
  filter.addEventListener('input', applyFilter);
  actionSelect.addEventListener('change', applyFilter);
  Array.prototype.forEach.call(doc.querySelectorAll('a.pick-action'), function (link) {
    link.addEventListener('click', function () {
      actionSelect.value = link.getAttribute('data-action');
      applyFilter();
    });
  });
  doc.addEventListener('keydown', function (e) {
    if (e.key === '/' && doc.activeElement !== filter) { e.preventDefault(); filter.focus(); }
  });
  applyFilter();
}());
