// The analytics dashboard: fetches /dashboard/data (same origin, session cookie) and draws it with Chart.js.
/* global Chart */

const palette = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];

function chart(id, type, data, options = {}) {
  const canvas = document.getElementById(id);
  return new Chart(canvas, {
    type,
    data,
    options: { animation: false, responsive: true, maintainAspectRatio: false, ...options },
  });
}

function series(label, values, index, extra = {}) {
  const color = palette[index % palette.length];
  return { label, data: values, backgroundColor: color, borderColor: color, ...extra };
}

/** One dataset per [label, column, colour, extra] of `specs`, over the same rows. */
function columns(rows, specs) {
  return specs.map(([label, column, colour, extra]) =>
    series(
      label,
      rows.map((row) => row[column]),
      colour,
      extra,
    ),
  );
}

function draw(data) {
  const days = (rows) => rows.map((row) => row.day);
  chart('users', 'line', {
    labels: days(data.dailyUsers),
    datasets: columns(data.dailyUsers, [
      ['new', 'new_users', 0],
      ['active', 'active_users', 1],
    ]),
  });
  const funnel = data.funnel ?? { requested: 0, reserved: 0, generated: 0, delivered: 0 };
  const steps = ['requested', 'reserved', 'generated', 'delivered'];
  chart(
    'funnel',
    'bar',
    {
      labels: steps,
      datasets: [
        series(
          'jobs',
          steps.map((step) => funnel[step]),
          0,
        ),
      ],
    },
    { indexAxis: 'y' },
  );
  const percent = (rows, column) => rows.map((row) => ({ ...row, [column]: (row[column] ?? 0) * 100 }));
  chart(
    'success',
    'line',
    {
      labels: days(data.success),
      datasets: columns(percent(data.success, 'success_rate'), [
        ['delivered ÷ finished, %', 'success_rate', 1],
      ]),
    },
    { scales: { y: { min: 0, max: 100 } } },
  );
  chart(
    'errors',
    'bar',
    {
      labels: data.errors.map((r) => `${r.error_class} ${r.code}`),
      datasets: columns(data.errors, [
        ['failed attempts', 'failed_attempts', 2],
        ['failed jobs', 'failed_jobs', 3],
      ]),
    },
    { scales: { x: { stacked: true }, y: { stacked: true } } },
  );
  chart('timings', 'bar', {
    labels: data.timings.map((r) => r.model),
    datasets: columns(data.timings, [
      ['generation p50, s', 'generation_p50_seconds', 0],
      ['generation p95, s', 'generation_p95_seconds', 4],
      ['delivery p50, s', 'delivery_p50_seconds', 1],
      ['delivery p95, s', 'delivery_p95_seconds', 5],
    ]),
  });
  const revenue = data.revenue.map((r) => ({ ...r, stars_refunded: -r.stars_refunded }));
  chart(
    'revenue',
    'bar',
    {
      labels: days(revenue),
      datasets: columns(revenue, [
        ['stars', 'stars', 2, { yAxisID: 'y' }],
        ['stars refunded', 'stars_refunded', 3, { yAxisID: 'y' }],
        ['credits sold', 'credits_sold', 0, { type: 'line', yAxisID: 'credits' }],
        ['credits spent', 'credits_spent', 1, { type: 'line', yAxisID: 'credits' }],
      ]),
    },
    {
      scales: {
        y: { position: 'left', title: { display: true, text: 'stars' } },
        credits: {
          position: 'right',
          title: { display: true, text: 'credits' },
          grid: { drawOnChartArea: false },
        },
      },
    },
  );
  chart('referrals', 'bar', {
    labels: days(data.referrals),
    datasets: columns(data.referrals, [
      ['invited sellers', 'invited', 6],
      ['bonus credits', 'bonus_credits', 7],
    ]),
  });
  const cohorts = [...new Set(data.retention.map((r) => r.cohort_week))];
  const weeks = [...new Set(data.retention.map((r) => r.week_offset))].sort((a, b) => a - b);
  const retentionOf = (cohort, week) =>
    data.retention.find((r) => r.cohort_week === cohort && r.week_offset === week)?.retention;
  chart(
    'retention',
    'line',
    {
      labels: weeks.map((w) => `week ${w}`),
      datasets: cohorts.map((cohort, i) =>
        series(
          cohort,
          weeks.map((w) => {
            const share = retentionOf(cohort, w);
            return share === undefined ? null : share * 100;
          }),
          i,
        ),
      ),
    },
    { scales: { y: { min: 0, max: 100 } } },
  );

  const body = document.querySelector('#lag tbody');
  for (const lag of data.lag) {
    const row = body.insertRow();
    row.insertCell().textContent = lag.name;
    row.insertCell().textContent = `${lag.seconds.toFixed(1)} s`;
    row.insertCell().textContent = `${lag.events} events behind`;
  }
  const total = data.dailyUsers.reduce((sum, r) => sum + r.new_users, 0);
  document.getElementById('summary').textContent =
    `Last ${data.days} days: ${total} new sellers, ${funnel.requested} jobs requested, ${funnel.delivered} delivered. ` +
    `Generated ${new Date(data.generatedAt).toLocaleString()}.`;
}

async function load() {
  const days = new URLSearchParams(window.location.search).get('days') ?? '30';
  try {
    const response = await fetch(`/dashboard/data?days=${encodeURIComponent(days)}`, {
      credentials: 'same-origin',
    });
    if (!response.ok) throw new Error(`the data answered ${response.status}`);
    draw(await response.json());
    document.body.dataset.state = 'ready';
  } catch (error) {
    document.getElementById('summary').textContent = `Could not load the data: ${error.message}`;
    document.body.dataset.state = 'failed';
  }
}

load();
