async def test_smoke(e2e_zalo):
    person = await e2e_zalo.person("secretary")
    u = await e2e_zalo.zalo_as(person, link=False)
    await u.send("/start")
    m = await u.reply()
    print(m.shown)
    await u.settled()
