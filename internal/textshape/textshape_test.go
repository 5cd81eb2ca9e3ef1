package textshape

import "testing"

func TestShape(t *testing.T) {
	cases := []struct {
		s     string
		shape Shape
		shout bool
	}{
		{"FREE MONEY NOW!!!", Shape{12, 12, 3}, true},
		{"Lunch tomorrow?", Shape{13, 1, 0}, false},
		{"OK!", Shape{2, 2, 1}, false},                     // too short to shout
		{"Größe SALE TODAY ONLY", Shape{16, 14, 0}, false}, // 87% < 90%
	}
	for _, c := range cases {
		sh := Of(c.s)
		if sh != c.shape || sh.Shouting(10, 90) != c.shout {
			t.Errorf("Of(%q) = %+v shouting %v; want %+v %v", c.s, sh, sh.Shouting(10, 90), c.shape, c.shout)
		}
	}
}
