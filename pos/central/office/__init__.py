"""The central office's pages: sales of every showroom by showroom, day, producer, province, OCOP stars and
group, the best sellers across showrooms, shift reconciliation, sync freshness, and single receipts.

queries.py aggregates in PostgreSQL (GROUP BY over the materialised sync tables); views.py is the
``office_reports`` blueprint under /office.
"""
