"""Help articles: what a support question is answered with instead of products.

A small shop help centre, searched by meaning with the same bi-encoder as the catalog; the page
shows the closest articles for a query whose intent is support.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HelpArticle:
    """One help-centre page."""

    title: str
    body: str


HELP_CENTRE = (
    HelpArticle("Where is my order?", "Track any order from Your orders: the tracking link shows the carrier, "
                "the last scan and the expected delivery day. Orders ship within 1-2 working days."),
    HelpArticle("Return an item", "Most items can be returned within 30 days of delivery, unused and in their "
                "packaging. Start a return from Your orders and print the free label."),
    HelpArticle("Refunds", "Refunds go back to the original payment method within 5 working days of the return "
                "reaching our warehouse. You get an email when it is issued."),
    HelpArticle("An item arrived damaged or broken", "Send us a photo from Your orders > Report a problem within "
                "14 days: we replace the item or refund it, and you keep nothing broken."),
    HelpArticle("Warranty and repairs", "Electronics and appliances carry a two-year warranty. Book a repair or "
                "a replacement from the product's page in Your orders."),
    HelpArticle("Delivery options and costs", "Standard delivery is free over $50 and takes 3-5 working days; "
                "express arrives next working day for $9.99."),
    HelpArticle("Change or cancel an order", "Orders can be changed or cancelled until they ship, from Your "
                "orders > Change order. After shipping, return the item instead."),
    HelpArticle("Payment problems", "A declined card is usually a billing address mismatch or a bank check: "
                "confirm with your bank, then retry, or pay with another method."),
    HelpArticle("Your account and password", "Reset your password from the sign-in page. Change your address, "
                "email or saved cards under Account settings."),
    HelpArticle("Missing item in my parcel", "Large orders can arrive in several parcels: check the tracking "
                "of each. If a parcel is complete and an item is missing, report it from Your orders."),
)
