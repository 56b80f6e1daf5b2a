"""Images: what is accepted, how it is cleaned, named and stored, and its thumbnails.

Knows nothing of posts or members: publishing (domain.posts) and profiles (domain.accounts)
hand it bytes and keep the URL it returns.
"""

from domain.media.images import (
    AVATAR_SIZE,
    MAX_ALT_LENGTH,
    MAX_GIF_FRAMES,
    MAX_PIXELS,
    MIME_TYPES,
    NOT_AN_IMAGE,
    THUMBNAIL_KINDS,
    URL_PREFIX,
    CleanImage,
    ImageTooLarge,
    Shown,
    alt_problem,
    clean,
    make_thumbnails,
    media_dir,
    original_size,
    remove_unused,
    save,
    shown,
    size_problem,
    thumbnail_size,
    upload_limit,
    verify_alongside,
    verify_upload,
)

__all__ = [
    "AVATAR_SIZE",
    "MAX_ALT_LENGTH",
    "MAX_GIF_FRAMES",
    "MAX_PIXELS",
    "MIME_TYPES",
    "NOT_AN_IMAGE",
    "THUMBNAIL_KINDS",
    "URL_PREFIX",
    "CleanImage",
    "ImageTooLarge",
    "Shown",
    "alt_problem",
    "clean",
    "make_thumbnails",
    "media_dir",
    "original_size",
    "remove_unused",
    "save",
    "shown",
    "size_problem",
    "thumbnail_size",
    "upload_limit",
    "verify_alongside",
    "verify_upload",
]
