"""``onething rotate-signing-key``: a new active e-licence signing key; the old one is retired
but stays in the JWK set, so every licence it signed still verifies."""

from django.core.management.base import BaseCommand

from onething.licences import keys, signers


class Command(BaseCommand):
    help = "生成新的电子证照签名密钥并启用；旧密钥停用但仍公布在 /.well-known/jwks.json"

    def add_arguments(self, parser):
        parser.add_argument("--signer", choices=[key for key, _ in signers.choices()], default=None)

    def handle(self, **options):
        key = keys.rotate(options["signer"])
        self.stdout.write(f"新的签名密钥 {key.kid}（{key.signer}），私钥在 {keys.key_dir()}")
