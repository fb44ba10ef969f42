import { chargeOf, evolvePayment, type PaymentRow, paymentColumns } from '../domain/payments.js';
import type { Projection } from './projection.js';
import { foldIntoTable, type KeyedFold, type KeyedTable } from './rows.js';

const paymentsTable: KeyedTable<PaymentRow> = {
  table: 'payments',
  key: 'charge_id',
  keyType: 'text',
  columns: paymentColumns,
  timestamps: ['received_at', 'credited_at', 'refund_requested_at', 'refunded_at'],
};

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
    await foldIntoTable(db, schema, batch, paymentsTable, fold);
  },
};
