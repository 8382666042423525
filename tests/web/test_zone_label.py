"""Pages name the time zone as people do: 北京时间 for China's zone, never "Asia/Shanghai"."""
from __future__ import annotations

from participation import clock


def test_staff_publish_form_says_beijing_time(client, login, make_user, make_draft):
    draft = make_draft()
    login(make_user("staff"))
    page = client.get(f"/staff/drafts/{draft.id}").get_data(as_text=True)
    assert "时间按北京时间填写" in page and "Asia/Shanghai" not in page


def test_other_zones_keep_their_identifier(app):
    with app.test_request_context():
        assert clock.zone_label() == "北京时间"
        app.config["TIMEZONE"] = "Europe/Berlin"
        assert clock.zone_label() == "Europe/Berlin"
