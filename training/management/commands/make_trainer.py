"""`make_trainer EMAIL [--remove]`: lets an account run training classes, or stops it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from eac.models import User
from training.services import generate_password

USAGE_ERROR = 2  # as argparse exits for a bad argument


class Command(BaseCommand):
    help = (
        "Let an account run training classes, creating it with a generated password if there is "
        "none; --remove takes that away again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The trainer's sign-in email address.")
        parser.add_argument(
            "--remove", action="store_true", help="Stop this account from running classes."
        )

    def handle(self, *args: Any, email: str, remove: bool, **options: Any) -> None:
        address = _address(email)
        user = User.objects.filter(email=address).first()
        if remove:
            self.stdout.write(_unflag(user, address))
        elif user is None:
            password = generate_password()
            User.objects.create_user(address, password, is_trainer=True)
            self.stdout.write(f"Created the trainer {address}. Its password, shown only once:")
            self.stdout.write(password)
        elif user.is_trainer:
            self.stdout.write(f"{address} is already a trainer.")
        else:
            user.is_trainer = True
            user.save(update_fields=["is_trainer"])
            self.stdout.write(
                f"{address} can now run training classes (its password is unchanged)."
            )


def _address(text: str) -> str:
    address = text.strip().lower()  # addresses are stored in lower case (see eac.models.User)
    try:
        validate_email(address)
    except ValidationError:
        raise CommandError(f"{text!r} isn't an email address.", returncode=USAGE_ERROR) from None
    return address


def _unflag(user: User | None, address: str) -> str:
    if user is None:
        raise CommandError(f"No account has the email address {address}.")
    if not user.is_trainer:
        return f"{address} isn't a trainer; nothing changed."
    user.is_trainer = False
    user.save(update_fields=["is_trainer"])
    return f"{address} can no longer run training classes; its classes are kept."
