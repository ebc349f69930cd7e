"""The OpenAPI schema knows the product's own basic authentication (members.security), which refuses
accounts that need a second factor: it is still HTTP basic auth to an API client."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BasicAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "members.security.BasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "用户名和密码；需要两步验证的账号（办公室、召集人、副召集人、管理员）不能用此方式，请在浏览器中登录后使用。",
        }
