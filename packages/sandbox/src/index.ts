export * from './balances.js';
export * from './chatStream.js';
export * from './chatView.js';
export * from './requests.js';
export * from './sandbox.js';
export * from './sandboxServer.js';
