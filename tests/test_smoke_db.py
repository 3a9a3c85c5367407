from sqlalchemy import select

from storage.models import User
from tests.conftest import Database


def test_user_round_trips_on_each_backend(db: Database) -> None:
    with db.session_factory() as session, session.begin():
        session.add(User(slack_id="U1", name="Ana", role="csm", timezone="UTC", digest_time="08:30"))
    with db.session_factory() as session:
        user = session.scalar(select(User).where(User.slack_id == "U1"))
        assert user is not None and user.name == "Ana"
