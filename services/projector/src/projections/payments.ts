import { chargeOf, evolvePayment, type PaymentRow, paymentColumns } from '../domain/payments.js';
import type { Projection } from './projection.js';
import { foldBatch, type KeyedFold, keysOfBatch, loadRows, rowsOf, writeRows } from './rows.js';

const fold: KeyedFold<PaymentRow> = {
  keysOf: (event) => {
    const chargeId = chargeOf(event);
    return chargeId ? [chargeId] : [];
  },
  evolve: (row, event) => evolvePayment(row, event),
};

/** rm.payments: each Telegram Stars payment, its credits and its refund. */
export const paymentsProjection: Projection = {
  name: 'payments',
  tables: ['payments'],
  async apply(db, schema, batch) {
    const table = `${schema}.payments`;
    const rows = await loadRows<PaymentRow>(db, table, 'charge_id', 'text', keysOfBatch(batch, fold));
    const changed = foldBatch(batch, rows, fold);
    await writeRows(db, table, ['charge_id'], paymentColumns, rowsOf(rows, changed), 'replace');
  },
};
