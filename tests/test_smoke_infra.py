from typing import Any

from litestar.testing import AsyncTestClient

from tests.helpers import sign_up


async def test_sign_up_lands_on_home_logged_in(client: AsyncTestClient[Any]) -> None:
    response = await sign_up(client, "alice")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    home = await client.get("/")
    assert "@alice" in home.text
