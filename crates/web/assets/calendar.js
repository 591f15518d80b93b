// Drag a post to another day to reschedule it (same time of day). Progressive enhancement: the
// post's own "Move" form does the work, so the server's checks (cadence guard, permissions, CSRF)
// are exactly those of the form, and the page works the same without JavaScript.
(function () {
  'use strict';
  var dragged = null;
  document.querySelectorAll('.post[draggable="true"]').forEach(function (post) {
    post.addEventListener('dragstart', function (e) {
      dragged = post;
      e.dataTransfer.effectAllowed = 'move';
      e.dataTransfer.setData('text/plain', post.dataset.post);
      post.classList.add('dragging');
    });
    post.addEventListener('dragend', function () {
      post.classList.remove('dragging');
      dragged = null;
    });
  });
  document.querySelectorAll('td[data-date]').forEach(function (day) {
    day.addEventListener('dragover', function (e) {
      if (dragged) {
        e.preventDefault();
        day.classList.add('drop-target');
      }
    });
    day.addEventListener('dragleave', function () {
      day.classList.remove('drop-target');
    });
    day.addEventListener('drop', function (e) {
      e.preventDefault();
      day.classList.remove('drop-target');
      if (!dragged || dragged.closest('td') === day) return;
      var form = dragged.querySelector('form[data-reschedule]');
      var input = form && form.querySelector('input[name="scheduled_at"]');
      if (!input) return;
      input.value = day.dataset.date + 'T' + dragged.dataset.time;
      form.submit();
    });
  });
})();
