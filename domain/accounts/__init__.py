"""Members: accounts and their rules, passwords, log-in sessions, roles and profiles."""

from domain.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, password_problem
from domain.accounts.preferences import set_default_visibility
from domain.accounts.profiles import (
    MAX_PROFILE_FIELDS,
    ProfileField,
    profile_fields,
    save_profile,
)
from domain.accounts.sessions import (
    count_sessions,
    delete_expired_sessions,
    end_all_sessions,
    end_session,
    start_session,
    user_for_session,
)
from domain.accounts.tables import ROLES, STAFF_ROLES, Session, User
from domain.accounts.users import (
    MAX_BIO_LENGTH,
    MAX_DISPLAY_NAME_LENGTH,
    USERNAME_TAKEN,
    authenticate,
    display_name_problem,
    find_user,
    get_profile,
    instance_counts,
    last_post_times,
    public_fields,
    sign_up,
    username_problem,
    username_taken,
    users_by_ids,
    users_by_usernames,
    visible_user,
)

__all__ = [
    "MAX_BIO_LENGTH",
    "MAX_DISPLAY_NAME_LENGTH",
    "MAX_PASSWORD_LENGTH",
    "MAX_PROFILE_FIELDS",
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "STAFF_ROLES",
    "USERNAME_TAKEN",
    "ProfileField",
    "Session",
    "User",
    "authenticate",
    "count_sessions",
    "delete_expired_sessions",
    "display_name_problem",
    "end_all_sessions",
    "end_session",
    "find_user",
    "get_profile",
    "instance_counts",
    "last_post_times",
    "password_problem",
    "profile_fields",
    "public_fields",
    "save_profile",
    "set_default_visibility",
    "sign_up",
    "start_session",
    "user_for_session",
    "username_problem",
    "username_taken",
    "users_by_ids",
    "users_by_usernames",
    "visible_user",
]
