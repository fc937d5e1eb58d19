"""The sandbox's API blueprints, one module per domain; each exposes `bp`, registered under `/cms/rest`."""
