def test_sign_in_page_is_served(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b"Forgotten your password or using Kestrel for the first time?" in response.content
