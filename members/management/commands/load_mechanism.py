from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from members.mechanism_config import ConfigError, mechanism_path, mechanism_spec_read
from members.services import mechanism_load


class Command(BaseCommand):
    help = "载入（或更新）一个省份的联席会议机制配置：members/mechanisms/<code>.yaml，或给出文件路径。幂等。"

    def add_arguments(self, parser):
        parser.add_argument("code", nargs="?", default=None, help="省份代码（默认取 MECHANISM 设置）或 YAML 文件路径")

    def handle(self, *args, code=None, **options):
        code = code or settings.MECHANISM
        path = code if code.endswith((".yaml", ".yml")) else mechanism_path(code)
        try:
            spec = mechanism_spec_read(path)
            report = mechanism_load(spec=spec)
        except ConfigError as exc:
            raise CommandError(f"配置未载入，数据库未作任何修改。{exc.message}") from exc
        if report.changed:
            self.stdout.write(
                self.style.SUCCESS(
                    f"已载入 {spec.name}（版本 {spec.version}）：新建 {len(report.created)} 项，更新 {len(report.updated)} 项。"
                )
            )
            for line in report.updated:
                self.stdout.write(f"  更新：{line}")
        else:
            self.stdout.write(f"{spec.name}（版本 {spec.version}）已是最新，未作修改。")
        for line in report.kept:
            self.stdout.write(f"  保留（配置文件中已无）：{line}")
