"""The central server: showroom credentials, the sync ingest API, the shared catalogue and the office's pages.

Runs when config.toml says ``role = "central"`` (PostgreSQL); its tables live on their own MetaData
(pos.central.models) with their own migrations (migrations/central), so they never mix with a showroom's.
"""
