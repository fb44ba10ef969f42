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

function draw(data) {
  const days = (rows) => rows.map((row) => row.day);
  chart('users', 'line', {
    labels: days(data.dailyUsers),
    datasets: [
      series(
        'new',
        data.dailyUsers.map((r) => r.new_users),
        0,
      ),
      series(
        'active',
        data.dailyUsers.map((r) => r.active_users),
        1,
      ),
    ],
  });
  const funnel = data.funnel ?? { requested: 0, reserved: 0, generated: 0, delivered: 0 };
  chart(
    'funnel',
    'bar',
    {
      labels: ['requested', 'reserved', 'generated', 'delivered'],
      datasets: [series('jobs', [funnel.requested, funnel.reserved, funnel.generated, funnel.delivered], 0)],
    },
    { indexAxis: 'y' },
  );
  chart(
    'success',
    'line',
    {
      labels: days(data.success),
      datasets: [
        series(
          'delivered ÷ finished, %',
          data.success.map((r) => (r.success_rate ?? 0) * 100),
          1,
        ),
      ],
    },
    { scales: { y: { min: 0, max: 100 } } },
  );
  chart(
    'errors',
    'bar',
    {
      labels: data.errors.map((r) => `${r.error_class} ${r.code}`),
      datasets: [
        series(
          'failed attempts',
          data.errors.map((r) => r.failed_attempts),
          2,
        ),
        series(
          'failed jobs',
          data.errors.map((r) => r.failed_jobs),
          3,
        ),
      ],
    },
    { scales: { x: { stacked: true }, y: { stacked: true } } },
  );
  chart('timings', 'bar', {
    labels: data.timings.map((r) => r.model),
    datasets: [
      series(
        'generation p50, s',
        data.timings.map((r) => r.generation_p50_seconds),
        0,
      ),
      series(
        'generation p95, s',
        data.timings.map((r) => r.generation_p95_seconds),
        4,
      ),
      series(
        'delivery p50, s',
        data.timings.map((r) => r.delivery_p50_seconds),
        1,
      ),
      series(
        'delivery p95, s',
        data.timings.map((r) => r.delivery_p95_seconds),
        5,
      ),
    ],
  });
  chart(
    'revenue',
    'bar',
    {
      labels: days(data.revenue),
      datasets: [
        series(
          'stars',
          data.revenue.map((r) => r.stars),
          2,
        ),
        series(
          'stars refunded',
          data.revenue.map((r) => -r.stars_refunded),
          3,
        ),
        series(
          'credits sold',
          data.revenue.map((r) => r.credits_sold),
          0,
          { type: 'line', yAxisID: 'credits' },
        ),
        series(
          'credits spent',
          data.revenue.map((r) => r.credits_spent),
          1,
          { type: 'line', yAxisID: 'credits' },
        ),
      ],
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
    datasets: [
      series(
        'invited sellers',
        data.referrals.map((r) => r.invited),
        6,
      ),
      series(
        'bonus credits',
        data.referrals.map((r) => r.bonus_credits),
        7,
      ),
    ],
  });
  const cohorts = [...new Set(data.retention.map((r) => r.cohort_week))];
  const weeks = [...new Set(data.retention.map((r) => r.week_offset))].sort((a, b) => a - b);
  chart(
    'retention',
    'line',
    {
      labels: weeks.map((w) => `week ${w}`),
      datasets: cohorts.map((cohort, i) =>
        series(
          cohort,
          weeks.map((w) => {
            const row = data.retention.find((r) => r.cohort_week === cohort && r.week_offset === w);
            return row ? row.retention * 100 : null;
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
