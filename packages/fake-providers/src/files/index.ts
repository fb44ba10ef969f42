export * from './fakeFileHost.js';
