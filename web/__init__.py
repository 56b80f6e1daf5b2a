"""Agora's web layer: the Litestar app, its controllers, guards and middleware."""
