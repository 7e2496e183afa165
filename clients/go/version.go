package fspd

// Version of this client: the fspd release it was generated with (package.json's version, written by
// scripts/version.mjs; the npm package, the Python client and the Go client share it).
const Version = "0.1.0"
