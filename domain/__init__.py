"""Agora's domain: tables and the rules of the social network, with no HTTP in sight."""
