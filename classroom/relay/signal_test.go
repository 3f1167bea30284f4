package relay

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeSignal(t *testing.T) {
	ok := []string{
		`{"v":1,"type":"join","lesson":"12345678","role":"remote","name":"三年级二班"}`,
		`{"v":1,"type":"join","lesson":"123456","role":"host","name":"a","key":"` + strings.Repeat("k", 32) + `"}`,
		`{"v":1,"type":"answer","sdp":"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"}`,
		`{"v":1,"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}`,
		`{"v":1,"type":"candidate","candidate":{"candidate":""}}`,
		`{"v":1,"type":"join","lesson":"123456","role":"remote","name":"a","extra":"ignored"}`,
	}
	for _, s := range ok {
		if _, err := DecodeSignal([]byte(s)); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	bad := map[string]string{
		`{"v":1,"type":"join","lesson":"12345","role":"remote","name":"a"}`:                                CodeBadMessage,
		`{"v":1,"type":"join","lesson":"1234567890123","role":"remote","name":"a"}`:                        CodeBadMessage,
		`{"v":1,"type":"join","lesson":"123456","role":"remote","name":"` + strings.Repeat("名", 30) + `"}`: CodeBadMessage,
		`{"v":1,"type":"join","lesson":"123456","role":"host","name":"a","key":"short"}`:                   CodeBadMessage,
		`{"v":1,"type":"join","lesson":"123456","role":"remote","name":"a","resume":"a b c d e f g h i"}`:  CodeBadMessage,
		`{"v":1,"type":"answer","sdp":"hello"}`:                                                            CodeBadMessage,
		`{"v":1,"type":"candidate"}`:                                                                       CodeBadMessage,
		`{"v":1,"type":"candidate","candidate":{"candidate":"evil"}}`:                                      CodeBadMessage,
		`{"v":1,"type":"candidate","candidate":{"candidate":"","sdpMLineIndex":64}}`:                       CodeBadMessage,
		`{"v":1,"type":"joined"}`: CodeUnknownType,
		`{"v":1}`:                 CodeBadMessage,
		`{"v":0,"type":"join"}`:   CodeBadVersion,
		`{"v":"1","type":"join"}`: CodeBadMessage,
		`null`:                    CodeBadMessage,
		``:                        CodeBadMessage,
	}
	for s, code := range bad {
		_, err := DecodeSignal([]byte(s))
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Code != code {
			t.Errorf("%.80s: got %v, want %s", s, err, code)
		}
	}
	if _, err := DecodeSignal(make([]byte, MaxSignalBytes+1)); err == nil || err.(*ProtocolError).Code != CodeTooLarge {
		t.Errorf("oversized: %v", err)
	}
}

func TestLessonCodes(t *testing.T) {
	for i := 0; i < 100; i++ {
		if c := NewLessonCode(); !ValidLessonCode(c) || len(c) != 8 {
			t.Fatalf("bad code %q", c)
		}
	}
	for _, c := range []string{"", "12345", "１２３４５６", "123456a", "1234567890123"} {
		if ValidLessonCode(c) {
			t.Errorf("%q accepted", c)
		}
	}
}

// FuzzDecodeSignal: the decoder never panics, and what it accepts is within
// the documented bounds.
func FuzzDecodeSignal(f *testing.F) {
	f.Add([]byte(`{"v":1,"type":"join","lesson":"12345678","role":"remote","name":"a"}`))
	f.Add([]byte(`{"v":1,"type":"answer","sdp":"v=0\r\n"}`))
	f.Add([]byte(`{"v":1,"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host","sdpMid":"0"}}`))
	f.Add([]byte(`{"v":1,"type":"join","lesson":"123456","role":"host","name":"x","key":"AAAAAAAAAAAAAAAAAAAA"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSignal(b)
		if err != nil {
			if _, ok := err.(*ProtocolError); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		switch s.Type {
		case TypeJoin:
			if !ValidLessonCode(s.Lesson) || len(s.Name) == 0 || len(s.Name) > MaxNameBytes || (s.Role != RoleHost && s.Role != RoleRemote) {
				t.Fatalf("accepted bad join %+v", s)
			}
		case TypeAnswer:
			if len(s.SDP) > MaxSDPBytes {
				t.Fatal("accepted oversized sdp")
			}
		case TypeCandidate:
			if s.Candidate == nil || len(s.Candidate.Candidate) > MaxCandidateBytes {
				t.Fatal("accepted bad candidate")
			}
		default:
			t.Fatalf("accepted type %q", s.Type)
		}
	})
}
