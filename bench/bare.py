"""The ceiling: a bare WSGI app that answers every request with a fixed WeChat reply."""

REPLY = (b"<xml><ToUserName><![CDATA[o]]></ToUserName><FromUserName><![CDATA[gh]]></FromUserName>"
         b"<CreateTime>0</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[ok]]></Content></xml>")


def app(environ, start_response):
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/xml"), ("Content-Length", str(len(REPLY)))])
    return [REPLY]
