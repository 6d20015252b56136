"""A booking made without an account (issue 17.7): its guest's emails carry the link that
manages it, as `data["manage_url"]` of the notice (mail/templates/events/*.j2 show it),
read when the email is written: a link revoked meanwhile is not sent."""

import dataclasses

from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.mail.notice import Notice
from bookwell.services.booking.manage_tokens import ManageTokens, manage_url


async def with_manage_links(
    session: AsyncSession, notices: list[Notice], tokens: ManageTokens
) -> list[Notice]:
    found = []
    for notice in notices:
        if notice.role == "guest":
            url = await manage_url(
                session=session, tokens=tokens, reservation_id=notice.booking.reservation_id
            )
            if url is not None:
                notice = dataclasses.replace(notice, data={**notice.data, "manage_url": url})
        found.append(notice)
    return found
