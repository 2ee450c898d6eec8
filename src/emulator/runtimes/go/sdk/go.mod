module dodil.io/ignite

go 1.23
