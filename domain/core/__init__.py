"""What every concept stands on: settings, the database pool, raw SQL with named
parameters, Redis behind its circuit breaker, the transactional outbox and the dead-letter
record of jobs that failed every attempt, keyed paging and the errors the domain raises.
Imports no other package of the domain."""
