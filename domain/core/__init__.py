"""What every concept stands on: settings, the database pool, raw SQL with named
parameters, Redis behind its circuit breaker, the transactional outbox, keyed paging and the
errors the domain raises. Imports no other package of the domain."""
